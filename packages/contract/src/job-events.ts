import { z } from 'zod';

const uuid = z.string().uuid();
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ms = z.number().min(0);

/** The job an event is about. `taskId` and `executionId` come from the job's data when it has them. */
const jobRef = {
  /** Queue name, as in the `queue:<name>` stream. */
  queue: z.string().min(1).max(64),
  /** BullMQ job id (unique within its queue). */
  jobId: z.string().min(1).max(256),
  /** Job name, which selects the handler that runs it. */
  name: z.string().max(128).optional(),
  taskId: uuid.optional(),
  executionId: uuid.optional(),
};

/**
 * A job's reported progress: a number (0-100 by convention) or a small object, as BullMQ's
 * `job.updateProgress` allows. Larger values are refused by the publisher.
 */
export const JobProgressSchema = z
  .union([z.number(), z.string().max(1000), z.boolean(), z.record(z.string(), z.unknown())])
  .refine((value) => JSON.stringify(value).length <= 4096, 'progress must serialise to at most 4096 characters');

/** What an operator did to a queue or one of its jobs (`POST /queues/...`). */
export const QUEUE_ACTIONS = ['retry', 'remove', 'promote', 'pause', 'resume'] as const;

/** A job that needs reloading, with its task when it has one. */
const staleJob = z.object({ jobId: jobRef.jobId, taskId: uuid.optional() });

/**
 * Job events, bridged from BullMQ's event stream. Each goes to `queue:<name>` and, when the
 * job belongs to a task, to `task:<id>`. Per job, states only move forward (a retry or a
 * stall starts a new attempt) and no progress follows `job.completed`, `job.failed` or
 * `job.removed`. Progress is coalesced: the latest value within a short window wins.
 */
export const JOB_EVENT_PAYLOAD_SCHEMAS = {
  /** The job is queued (possibly delayed until `delayedUntil`). Streams: `queue:<name>`, `task:<id>`. */
  'job.waiting': z.object({ ...jobRef, delayedUntil: z.iso.datetime().optional() }),
  /** A worker started the job. Streams: `queue:<name>`, `task:<id>`. */
  'job.active': z.object(jobRef),
  /** Latest progress the job reported. Streams: `queue:<name>`, `task:<id>`. */
  'job.progress': z.object({ ...jobRef, progress: JobProgressSchema }),
  /** The job finished; `durationMs` is active-to-completed when known. Streams: `queue:<name>`, `task:<id>`. */
  'job.completed': z.object({ ...jobRef, durationMs: ms.optional() }),
  /** The job failed for good (no attempts left). Streams: `queue:<name>`, `task:<id>`. */
  'job.failed': z.object({ ...jobRef, reason: z.string().max(2000) }),
  /** The job's worker stopped renewing its lock; the job goes back to the queue. Streams: `queue:<name>`, `task:<id>`. */
  'job.stalled': z.object(jobRef),
  /** The attempt failed and the job is queued again (after `delayedUntil`, if set). Streams: `queue:<name>`, `task:<id>`. */
  'job.retrying': z.object({ ...jobRef, delayedUntil: z.iso.datetime().optional() }),
  /** The job was removed from the queue. Streams: `queue:<name>`, `task:<id>`. */
  'job.removed': z.object(jobRef),
  /**
   * Job events were lost (the queue's event stream was trimmed while no bridge read it):
   * reload these jobs' state instead of trusting the event history. `truncated` means there
   * were more than listed: reload the whole queue. Streams: `queue:<name>`, `task:<id>` (that task's jobs).
   */
  'job.reload_required': z.object({
    queue: jobRef.queue,
    reason: z.enum(['events_trimmed']),
    jobs: z.array(staleJob).max(1000),
    truncated: z.boolean(),
  }),
  /**
   * An operator acted on the queue through the HTTP API: retried a failed job, removed a job,
   * promoted a delayed job, or paused or resumed the queue. Published after BullMQ accepted
   * the action, so it reports a change that happened; the job's own events (`job.retrying`,
   * `job.removed`) follow from the bridge. `jobId` is absent for `pause` and `resume`.
   * Streams: `queue:<name>`, and `task:<id>` for a job of a task.
   */
  'queue.action': z.object({
    queue: jobRef.queue,
    action: z.enum(QUEUE_ACTIONS),
    /** The user who acted. */
    by: z.string().min(1).max(128),
    jobId: jobRef.jobId.optional(),
    name: jobRef.name,
    taskId: jobRef.taskId,
    executionId: jobRef.executionId,
  }),
  /**
   * Health of one queue, sent at an interval while anything changes: job counts, throughput
   * over the last `windowMs`, and active-to-finished durations of jobs finished in it. Stream: `queue:<name>`.
   */
  'queue.overview': z.object({
    queue: jobRef.queue,
    counts: z.object({ waiting: count, active: count, delayed: count, failed: count, completed: count }),
    windowMs: ms,
    completedPerSec: ms,
    failedPerSec: ms,
    durationMs: z.object({ avg: ms, p95: ms, max: ms, samples: count }).optional(),
  }),
} as const;
