import { hashTagged } from '../redis/redis-client';

/** The queue that runs task executions (agent runs). */
export const EXECUTIONS_QUEUE = 'executions';

/**
 * Finished jobs are kept for a while so that the bridge can still read a job's task when
 * it sees the job's events late (after a restart), and so operators can inspect failures.
 */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 } as const;
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 10_000 } as const;

/** BullMQ's key prefix inside the app's own prefix, so tests and apps never share queues. */
export const bullPrefix = (keyPrefix: string): string => hashTagged(keyPrefix, 'bull');
