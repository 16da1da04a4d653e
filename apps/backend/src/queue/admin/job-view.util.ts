import type { Job } from 'bullmq';
import { LISTED_STATES, type ListedState } from './queue-admin.schemas';

/** BullMQ's state of a job, including the ones the lists do not show (`prioritized`, ...). */
export type JobStateName = string;

export type JobCounts = Record<ListedState, number>;

/** A queue as `GET /queues/:queue` returns it. */
export interface QueueSummary {
  name: string;
  paused: boolean;
  counts: JobCounts;
}

/** A job in a list: enough for a row, not its data or logs. */
export interface JobSummary {
  id: string;
  name: string;
  state: JobStateName;
  progress: unknown;
  attemptsMade: number;
  /** When it was added, processed and finished (ISO-8601), when it was. */
  createdAt: string;
  processedAt: string | null;
  finishedAt: string | null;
  /** When a delayed job becomes runnable. */
  delayedUntil: string | null;
  failedReason: string | null;
  taskId: string | null;
  executionId: string | null;
}

/** A job on its own page: the summary plus what an operator inspects. */
export interface JobDetail extends JobSummary {
  queue: string;
  data: unknown;
  returnValue: unknown;
  /** Attempts allowed (`opts.attempts`, BullMQ's default 1). */
  attempts: number;
  /** One stack trace per failed attempt, oldest first. */
  stacktrace: string[];
  /** The job's latest log lines, oldest first, and how many it has in all. */
  logs: { lines: string[]; total: number };
}

const iso = (ms: number | undefined): string | null => (ms ? new Date(ms).toISOString() : null);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuidField = (data: unknown, key: string): string | null => {
  const value = (data as Record<string, unknown> | null)?.[key];
  return typeof value === 'string' && UUID.test(value) ? value : null;
};

export function countsOf(raw: Record<string, number>): JobCounts {
  return Object.fromEntries(LISTED_STATES.map((state) => [state, raw[state] ?? 0])) as JobCounts;
}

export function toJobSummary(job: Job, state: JobStateName): JobSummary {
  return {
    id: job.id ?? '',
    name: job.name,
    state,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    createdAt: new Date(job.timestamp).toISOString(),
    processedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    delayedUntil: state === 'delayed' && job.delay > 0 ? new Date(job.timestamp + job.delay).toISOString() : null,
    failedReason: job.failedReason || null,
    taskId: uuidField(job.data, 'taskId'),
    executionId: uuidField(job.data, 'executionId'),
  };
}

export function toJobDetail(job: Job, state: JobStateName, logs: JobDetail['logs']): JobDetail {
  return {
    ...toJobSummary(job, state),
    queue: job.queueName,
    data: job.data,
    returnValue: job.returnvalue ?? null,
    // BullMQ stores 0 when none were set, and runs the job once.
    attempts: Math.max(1, job.opts.attempts ?? 1),
    stacktrace: job.stacktrace ?? [],
    logs,
  };
}
