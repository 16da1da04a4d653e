import { Logger } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../redis/redis-client';
import { ExecutionJobDataSchema, type ExecutionJob, type ExecutionJobData } from './execution-job.types';
import { bullPrefix, EXECUTIONS_QUEUE, KEEP_COMPLETED, KEEP_FAILED } from './queue.constants';
import { QueueException } from './queue.exception';

/**
 * The BullMQ queue of task executions. Without Redis it exists but is off: `add` throws
 * `queues_off`, so callers learn it at once instead of jobs vanishing.
 *
 * @example
 * await executions.add('execution', { taskId, executionId });
 */
export class ExecutionsQueue {
  readonly name = EXECUTIONS_QUEUE;
  private readonly logger = new Logger(ExecutionsQueue.name);
  private readonly queue: Queue<ExecutionJobData, unknown, string> | undefined;

  constructor(redis: RedisClient | undefined, keyPrefix: string) {
    if (!redis) return;
    // The app's connection is shared, not owned: BullMQ leaves it open on close.
    this.queue = new Queue<ExecutionJobData, unknown, string>(EXECUTIONS_QUEUE, {
      connection: redis,
      prefix: bullPrefix(keyPrefix),
      defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
    });
    this.queue.on('error', (error: Error) => this.logger.warn({ msg: 'queue error', queue: this.name, error: error.message }));
  }

  get enabled(): boolean {
    return this.queue !== undefined;
  }

  /** The BullMQ queue itself (counts, job lists); throws `queues_off` without Redis. */
  get bull(): Queue<ExecutionJobData, unknown, string> {
    if (!this.queue) throw new QueueException('queues_off', 'job queues are off: REDIS_URL is not set');
    return this.queue;
  }

  /** Queues a job for the handler registered under `name`. */
  async add(name: string, data: ExecutionJobData, options?: JobsOptions): Promise<ExecutionJob> {
    const parsed = ExecutionJobDataSchema.safeParse(data);
    if (!parsed.success) throw new QueueException('invalid_job', `invalid job data: ${parsed.error.message}`);
    return this.bull.add(name, parsed.data, options);
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}
