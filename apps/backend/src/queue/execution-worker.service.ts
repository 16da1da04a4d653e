import { Logger } from '@nestjs/common';
import { MetricsTime, Worker } from 'bullmq';
import type { RedisClient } from '../redis/redis-client';
import type { ExecutionJobData } from './execution-job.types';
import type { JobHandlerRegistry } from './job-handler.registry';
import { bullPrefix, EXECUTIONS_QUEUE } from './queue.constants';

export interface ExecutionWorkerOptions {
  redis: RedisClient;
  keyPrefix: string;
  /** Jobs run at once. @default 4 */
  concurrency: number;
  /** Lock of a running job, renewed every half of it. @default 30000 (BullMQ's) */
  lockMs?: number;
}

/**
 * Runs the executions queue's jobs with the registered handlers. Used in the backend
 * process (QUEUE_WORKER=in-process) and by `cli/worker.cli.ts` as a process of its own.
 */
export class ExecutionWorker {
  private readonly logger = new Logger(ExecutionWorker.name);
  private worker: Worker<ExecutionJobData, unknown, string> | undefined;

  constructor(
    private readonly options: ExecutionWorkerOptions,
    private readonly handlers: JobHandlerRegistry,
  ) {}

  start(): void {
    if (this.worker) return;
    // BullMQ duplicates the connection for its blocking reads and closes the duplicates itself.
    this.worker = new Worker<ExecutionJobData, unknown, string>(
      EXECUTIONS_QUEUE,
      (job, _token, signal) => this.handlers.run(job, signal ?? new AbortController().signal),
      {
        connection: this.options.redis,
        prefix: bullPrefix(this.options.keyPrefix),
        concurrency: this.options.concurrency,
        // A dead worker's jobs are looked for as often as their locks last: they run again (an
        // execution ends as lost) within one to two lock durations after the worker died.
        lockDuration: this.options.lockMs ?? 30_000,
        stalledInterval: this.options.lockMs ?? 30_000,
        // BullMQ's per-minute completed/failed counts (a week of them): its Prometheus export
        // (bullmq_job_completed_total, bullmq_job_failed_total on /metrics) reads them.
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
      },
    );
    this.worker.on('error', (error: Error) => this.logger.warn({ msg: 'worker error', error: error.message }));
    this.worker.on('failed', (job, error: Error) =>
      this.logger.debug({ msg: 'job attempt failed', jobId: job?.id, name: job?.name, error: error.message }),
    );
    this.logger.log({ msg: 'worker started', queue: EXECUTIONS_QUEUE, concurrency: this.options.concurrency, handlers: this.handlers.names() });
  }

  /**
   * Stops taking jobs and waits for the running ones to finish (a killed process leaves
   * them to BullMQ's stalled-job check, which hands them to another worker).
   */
  async close(): Promise<void> {
    if (!this.worker) return;
    await this.worker.close();
    this.worker = undefined;
  }
}

