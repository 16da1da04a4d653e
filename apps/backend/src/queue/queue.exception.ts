/**
 * `queues_off`: no REDIS_URL, so no queue exists; not retryable until configured.
 * `unknown_job`: no handler is registered for the job's name; the job fails without retry.
 * `invalid_job`: the job's data breaks `ExecutionJobDataSchema`; fix the caller.
 */
export type QueueErrorCode = 'queues_off' | 'unknown_job' | 'invalid_job';

export class QueueException extends Error {
  constructor(
    readonly code: QueueErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QueueException';
  }
}
