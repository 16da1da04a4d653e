/** The job states the queue pages list, as BullMQ names them. */
export const JOB_LIST_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
export type JobListState = (typeof JOB_LIST_STATES)[number];

/** A queue as `GET /queues/:queue` returns it. */
export interface QueueSummary {
  name: string;
  paused: boolean;
  counts: Record<JobListState, number>;
}

/** A job in a list (`GET /queues/:queue/jobs`): enough for a row, not its data or logs. */
export interface JobSummary {
  id: string;
  name: string;
  /** BullMQ's state, including the ones the lists do not show (`prioritized`, ...). */
  state: string;
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

/** One page of a state's jobs; `total` is the state's count when it was read. */
export interface JobPage {
  state: JobListState;
  offset: number;
  limit: number;
  total: number;
  jobs: JobSummary[];
}

/** A job on its own page (`GET /queues/:queue/jobs/:id`): the summary plus what an operator inspects. */
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
