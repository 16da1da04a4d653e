import type { Job } from 'bullmq';
import type { JobDetail, JobSummary, QueueSummary } from '@taskdash/contract';
import { LISTED_STATES } from './queue-admin.schemas';

/** BullMQ's state of a job, including the ones the lists do not show (`prioritized`, ...). */
export type JobStateName = string;

export type JobCounts = QueueSummary['counts'];

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
