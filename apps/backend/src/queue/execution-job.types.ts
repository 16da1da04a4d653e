import type { Job } from 'bullmq';
import { z } from 'zod';

/**
 * Data of every job on the executions queue. `taskId` routes the job's events to the
 * task's stream; `executionId` names the execution it runs. Handlers add their own fields.
 */
export const ExecutionJobDataSchema = z
  .object({ taskId: z.string().uuid().optional(), executionId: z.string().uuid().optional() })
  .passthrough();

export type ExecutionJobData = z.infer<typeof ExecutionJobDataSchema>;

export type ExecutionJob = Job<ExecutionJobData, unknown, string>;

/**
 * Runs one job. Report progress with `job.updateProgress` (awaited, so progress never
 * trails the result); the resolved value becomes the job's return value; a throw fails the
 * attempt. The AbortSignal fires when the job is cancelled (`Worker.cancelJob`).
 */
export type JobHandler = (job: ExecutionJob, signal: AbortSignal) => Promise<unknown>;
