import type { RedisClient } from '../redis/redis-client';

/** Tuning of the bridge from BullMQ's event stream to the event streams. */
export interface BridgeOptions {
  /** Whether this node competes for the bridge (one node per queue bridges). @default true */
  enabled: boolean;
  /** Window within which a job's progress updates are coalesced, in ms. @default 150 */
  coalesceMs: number;
  /** Lease of the bridge lock in ms; renewed every third of it. @default 5000 */
  lockTtlMs: number;
  /** How often the bridging node publishes `queue.overview`, in ms; 0 disables it. @default 5000 */
  overviewIntervalMs: number;
  /** Most stream entries in one published batch. @default 5000 */
  maxBatchEntries: number;
  /** How often an idle bridge looks for new entries, in ms. @default 50 */
  pollMs: number;
}

/** Options of `QueueModule.register`. */
export interface QueueModuleOptions {
  /** The app's command connection; without it (no REDIS_URL) queues are off. */
  redis: RedisClient | undefined;
  /** The app's Redis key prefix; queue keys live under `<prefix>:{bull}` (one hash slot, as BullMQ needs on a cluster). */
  keyPrefix: string;
  worker: {
    /** Run the workers in this process; otherwise run `cli/worker.cli.js`. @default true */
    inProcess: boolean;
    /** Jobs run at once by this process. @default 4 */
    concurrency: number;
    /** Lock of a running job; a job whose worker died runs again after one to two times this. @default 30000 */
    lockMs: number;
  };
  bridge: BridgeOptions;
}

export const DEFAULT_BRIDGE_OPTIONS: BridgeOptions = {
  enabled: true,
  coalesceMs: 150,
  lockTtlMs: 5000,
  overviewIntervalMs: 5000,
  maxBatchEntries: 5000,
  pollMs: 50,
};
