import { createRequire } from 'node:module';
import { resolve } from 'node:path';

/** The part of BullMQ's `Queue` the harness uses (BullMQ is the backend's dependency, not the root's). */
interface BullQueue {
  add(name: string, data: unknown, options: { jobId: string }): Promise<{ id?: string }>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  getJobState(jobId: string): Promise<string>;
  close(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}
type QueueClass = new (name: string, options: { connection: object; prefix: string }) => BullQueue;

const backendRequire = createRequire(resolve(__dirname, '../apps/backend/package.json'));

/**
 * The backends' executions queue, opened by the harness straight on the chaos Redis (not
 * through the fault proxy), as another service that queues jobs would. Job ids are the
 * harness's own, so a retried `add` can never make a second job.
 */
export class ChaosQueue {
  private readonly queue: BullQueue;

  /** `keyPrefix` is the backends' REDIS_KEY_PREFIX: BullMQ's keys live under `<prefix>:{bull}`. */
  constructor(redisPort: number, keyPrefix: string) {
    const { Queue } = backendRequire('bullmq') as { Queue: QueueClass };
    // maxRetriesPerRequest null: across a Redis restart a command waits for the reconnect.
    this.queue = new Queue('executions', { connection: { host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: null }, prefix: `${keyPrefix}:{bull}` });
    this.queue.on('error', () => undefined); // reconnects are expected here
  }

  async add(name: string, jobId: string, data: Record<string, unknown>): Promise<void> {
    await this.queue.add(name, data, { jobId });
  }

  /** Stops every worker from taking jobs (running ones go on). */
  pause(): Promise<void> {
    return this.queue.pause();
  }

  resume(): Promise<void> {
    return this.queue.resume();
  }

  /** `completed`, `failed`, `active`, `waiting`, … or `unknown`. */
  state(jobId: string): Promise<string> {
    return this.queue.getJobState(jobId);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
