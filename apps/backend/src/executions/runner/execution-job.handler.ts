import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { JobHandler } from '../../queue/execution-job.types';
import type { ExecutionRunner } from './execution-runner.service';

const ExecutionJobSchema = z.object({ executionId: z.string().uuid() });

/**
 * The `execution` job of the executions queue: runs the execution the job names. A job
 * without an execution id cannot succeed on a retry, so it fails for good at once.
 */
export const executionJobHandler =
  (runner: ExecutionRunner): JobHandler =>
  (job, signal) => {
    const data = ExecutionJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError(`execution job ${job.id} has no executionId`);
    return runner.run(data.data.executionId, signal);
  };
