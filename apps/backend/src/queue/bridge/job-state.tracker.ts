import type { JobStreamEntry } from './job-stream-entry.util';
import { streamIdTime } from './stream-id.util';

/** Where a job stands, as far as clients were told. Within one attempt it only moves forward. */
export type JobPhase = 'queued' | 'active' | 'finished' | 'removed';

/** What the job's data says about it (looked up once per job). */
export interface JobInfo {
  name?: string;
  taskId?: string;
  executionId?: string;
}

interface JobState {
  phase: JobPhase | undefined;
  /** Stream time of the latest `active`, for the duration of the attempt. */
  activeAt?: number;
  info: JobInfo;
}

/** A state change to publish (progress is handled by the coalescer). */
export type StateChange =
  | { type: 'job.waiting' | 'job.retrying'; delayedUntil?: number }
  | { type: 'job.active' | 'job.stalled' | 'job.removed' }
  | { type: 'job.completed'; durationMs?: number }
  | { type: 'job.failed'; reason: string };

const FINAL: ReadonlySet<JobPhase | undefined> = new Set(['finished', 'removed']);

/**
 * Per job, the state clients last saw, so that what they see never goes backwards:
 * duplicates and late entries are dropped, progress after the end is dropped. Only a
 * retry or a stall starts the job over. Bounded: the oldest jobs are forgotten, and a
 * forgotten job is looked up again like one never seen.
 */
export class JobStateTracker {
  private readonly jobs = new Map<string, JobState>();

  constructor(private readonly maxJobs = 50_000) {}

  knows(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** Records a looked-up job: its data, and whether it had already finished for clients. */
  learn(jobId: string, info: JobInfo, finished: boolean): void {
    this.jobs.set(jobId, { phase: finished ? 'finished' : undefined, info });
    if (this.jobs.size > this.maxJobs) {
      const oldest = this.jobs.keys().next().value;
      if (oldest !== undefined) this.jobs.delete(oldest);
    }
  }

  info(jobId: string): JobInfo {
    return this.jobs.get(jobId)?.info ?? {};
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }

  acceptsProgress(jobId: string): boolean {
    return !FINAL.has(this.jobs.get(jobId)?.phase);
  }

  /** Applies a state entry; returns what to publish, or `undefined` to drop it. */
  apply(entry: Exclude<JobStreamEntry, { kind: 'progress' }>): StateChange | undefined {
    let state = this.jobs.get(entry.jobId);
    if (!state) this.learn(entry.jobId, {}, false);
    state ??= this.jobs.get(entry.jobId)!;
    const { phase } = state;
    const to = (next: JobPhase, change: StateChange): StateChange => ((state.phase = next), change);
    switch (entry.kind) {
      case 'waiting':
        // Back from `active` (a failed attempt) or from `failed`/`completed` (a manual retry).
        if (entry.prev === 'active' || entry.prev === 'failed' || entry.prev === 'completed') {
          return phase === 'removed' ? undefined : to('queued', { type: 'job.retrying' });
        }
        return phase === undefined ? to('queued', { type: 'job.waiting' }) : undefined;
      case 'delayed':
        if (phase === 'active') return to('queued', { type: 'job.retrying', delayedUntil: entry.until });
        return phase === undefined ? to('queued', { type: 'job.waiting', delayedUntil: entry.until }) : undefined;
      case 'active':
        if (phase !== undefined && phase !== 'queued') return undefined;
        state.activeAt = streamIdTime(entry.id);
        return to('active', { type: 'job.active' });
      case 'stalled':
        return phase === undefined || phase === 'active' ? to('queued', { type: 'job.stalled' }) : undefined;
      case 'completed': {
        if (FINAL.has(phase)) return undefined;
        const durationMs = state.activeAt === undefined ? undefined : Math.max(0, streamIdTime(entry.id) - state.activeAt);
        return to('finished', { type: 'job.completed', durationMs });
      }
      case 'failed':
        return FINAL.has(phase) ? undefined : to('finished', { type: 'job.failed', reason: entry.reason.slice(0, 2000) });
      case 'removed':
        return phase === 'removed' ? undefined : to('removed', { type: 'job.removed' });
    }
  }
}
