import { z } from 'zod';
import type { JobHandler } from '../execution-job.types';

/** A job that only reports progress: for demos, tests and the benchmark. */
export const SIMULATED_JOB = 'simulated';

const SimulatedDataSchema = z.object({
  /** Progress reports, ending at 100. @default 10 */
  steps: z.number().int().min(1).max(100_000).default(10),
  /** Pause between reports, in ms. @default 0 */
  stepMs: z.number().int().min(0).max(60_000).default(0),
  /** Fail after the last step (to exercise retries and failures). @default false */
  fail: z.boolean().default(false),
});

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Reports `steps` progress values from 100/steps up to exactly 100, then returns `{ steps }`. */
export const simulatedJobHandler: JobHandler = async (job, signal) => {
  const { steps, stepMs, fail } = SimulatedDataSchema.parse(job.data);
  // A line in the job's own log (BullMQ's job.log), which the queue pages show.
  await job.log(`attempt ${job.attemptsMade + 1}: ${steps} step(s)${fail ? ', then fail' : ''}`);
  for (let step = 1; step <= steps && !signal.aborted; step++) {
    if (stepMs > 0) await sleep(stepMs, signal);
    // Awaited: BullMQ writes progress in call order, so the stream never shows it after the result.
    await job.updateProgress(Math.round((step * 10_000) / steps) / 100);
  }
  if (fail) throw new Error('simulated failure');
  return { steps };
};
