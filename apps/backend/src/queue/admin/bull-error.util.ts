import { ErrorCode } from '@taskdash/contract';
import { ApiException } from '../../common/api.exception';

// BullMQ's script results (enums/error-code): the job vanished, or it is not in the state
// the command needs. It sets them as `error.code` on the errors it throws.
const JOB_NOT_EXIST = -1;
const JOB_LOCK_NOT_EXIST = -2;
const JOB_NOT_IN_STATE = -3;
const JOB_LOCK_MISMATCH = -6;

/**
 * Turns BullMQ's refusal of an action into the API's answer. The service checks the state
 * first; this covers the job moving between that check and the command (a worker took it,
 * another operator acted). Anything else is not a refusal and is rethrown as it is.
 */
export function refusalOf(error: unknown, jobId: string, action: string): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (code === JOB_NOT_EXIST) return new ApiException(ErrorCode.NotFound, `no job ${jobId} in this queue`, 404);
  // `job.remove` reports a job a worker holds by message only, without a code.
  const locked = code === JOB_LOCK_NOT_EXIST || code === JOB_LOCK_MISMATCH || /locked/i.test(error.message);
  if (code === JOB_NOT_IN_STATE || locked) {
    return new ApiException(ErrorCode.JobStateConflict, `cannot ${action} job ${jobId} now: ${error.message}`, 409);
  }
  return error;
}
