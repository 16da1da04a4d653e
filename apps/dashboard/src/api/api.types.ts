import type { AlertSeverity } from '@taskdash/contract';

/** An open alert as `GET /alerts` returns it. */
export interface AlertRecord {
  alertId: string;
  fingerprint: string;
  alertname: string;
  severity: AlertSeverity;
  labels: Record<string, string>;
  summary: string;
  value: number;
  threshold: number;
  startsAt: string;
  lastNotifiedAt: string;
  notifications: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

/** Bytes `[from, to)` of an execution's log, of `total` so far. */
export interface OutputRange {
  from: number;
  to: number;
  total: number;
  bytes: Uint8Array;
  status: string;
}

/** The job states the queue pages list, as BullMQ names them. */
export const JOB_LIST_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
export type JobListState = (typeof JOB_LIST_STATES)[number];

/** A queue as `GET /queues/:queue` returns it. */
export interface QueueSummary {
  name: string;
  paused: boolean;
  counts: Record<JobListState, number>;
}

/** A row of `GET /queues/:queue/jobs`. */
export interface JobSummary {
  id: string;
  name: string;
  state: string;
  progress: unknown;
  attemptsMade: number;
  createdAt: string;
  processedAt: string | null;
  finishedAt: string | null;
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

/** `GET /queues/:queue/jobs/:id`. */
export interface JobDetail extends JobSummary {
  queue: string;
  data: unknown;
  returnValue: unknown;
  attempts: number;
  stacktrace: string[];
  logs: { lines: string[]; total: number };
}

export type JobAction = 'retry' | 'remove' | 'promote';
