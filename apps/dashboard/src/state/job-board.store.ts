import { isEvent, type EventEnvelope, type EventPayloads } from '@taskdash/contract';
import { Emitter } from './emitter';

export type JobState = 'waiting' | 'active' | 'completed' | 'failed' | 'stalled' | 'retrying' | 'removed' | 'stale';

export interface JobView {
  queue: string;
  jobId: string;
  name: string | undefined;
  taskId: string | undefined;
  executionId: string | undefined;
  state: JobState;
  /** 0-100 when the job reports a number; undefined otherwise. */
  percent: number | undefined;
  /** The last progress as text, for progress that is not a number. */
  detail: string | undefined;
  updatedAt: string;
}

export type QueueOverview = EventPayloads['queue.overview'] & { at: string };
/** An operator's action on a queue, as its `queue.action` event told it. */
export type QueueActionView = EventPayloads['queue.action'] & { at: string };

/** Finished jobs kept per queue. */
const FINISHED_LIMIT = 30;
const FINISHED: readonly JobState[] = ['completed', 'failed', 'removed'];
/** Actions kept, newest first. */
const ACTIONS_LIMIT = 20;

/** Jobs seen on queue and task streams, with their latest state and progress, and each queue's overview. */
export class JobBoardStore extends Emitter {
  private readonly jobs = new Map<string, JobView>();
  private readonly overviews = new Map<string, QueueOverview>();
  private readonly recentActions: QueueActionView[] = [];

  /** Most recent first. */
  list(filter: (job: JobView) => boolean = () => true): JobView[] {
    return [...this.jobs.values()].filter(filter).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  overview(): QueueOverview[] {
    return [...this.overviews.values()];
  }

  /** Operators' recent actions on `queue`, newest first. */
  actions(queue: string): QueueActionView[] {
    return this.recentActions.filter((action) => action.queue === queue);
  }

  apply(event: EventEnvelope): void {
    if (isEvent(event, 'queue.action')) {
      // Operators get it on the queue stream and again on the task's; keep one.
      if (this.recentActions.some((a) => a.at === event.occurredAt && a.action === event.payload.action && a.jobId === event.payload.jobId)) return;
      this.recentActions.unshift({ ...event.payload, at: event.occurredAt });
      this.recentActions.splice(ACTIONS_LIMIT);
    } else if (isEvent(event, 'queue.overview')) {
      this.overviews.set(event.payload.queue, { ...event.payload, at: event.occurredAt });
    } else if (isEvent(event, 'job.reload_required')) {
      for (const stale of event.payload.jobs) this.patch(event.payload.queue, stale.jobId, { state: 'stale' }, event.occurredAt);
    } else if (event.type.startsWith('job.')) {
      this.applyJob(event as EventEnvelope<JobEventType>);
    } else {
      return;
    }
    this.changed();
  }

  private applyJob(event: EventEnvelope<JobEventType>): void {
    const p = event.payload;
    const kind = event.type.slice(4);
    const state = (kind === 'progress' ? 'active' : kind) as JobState;
    const key = `${p.queue}/${p.jobId}`;
    const known = this.jobs.get(key);
    // The same event arrives on the queue stream and the task stream; a finished job stays finished.
    if (known && FINISHED.includes(known.state) && !FINISHED.includes(state) && state !== 'retrying') return;
    const progress = isEvent(event, 'job.progress') ? event.payload.progress : undefined;
    this.patch(p.queue, p.jobId, {
      name: p.name,
      taskId: p.taskId,
      executionId: p.executionId,
      state,
      ...(progress !== undefined && describeProgress(progress)),
      ...(state === 'completed' && { percent: 100 }),
    }, event.occurredAt);
    this.trim(p.queue);
  }

  private patch(queue: string, jobId: string, changes: Partial<JobView>, at: string): void {
    const key = `${queue}/${jobId}`;
    const known: JobView = this.jobs.get(key) ?? {
      queue, jobId, name: undefined, taskId: undefined, executionId: undefined,
      state: 'waiting', percent: undefined, detail: undefined, updatedAt: at,
    };
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    this.jobs.set(key, { ...known, ...defined, updatedAt: at });
  }

  private trim(queue: string): void {
    const finished = this.list((job) => job.queue === queue && FINISHED.includes(job.state));
    for (const job of finished.slice(FINISHED_LIMIT)) this.jobs.delete(`${job.queue}/${job.jobId}`);
  }
}

type JobEventType = Exclude<Extract<keyof EventPayloads, `job.${string}`>, 'job.reload_required'>;

function describeProgress(progress: EventPayloads['job.progress']['progress']): Pick<JobView, 'percent' | 'detail'> {
  if (typeof progress === 'number') return { percent: Math.max(0, Math.min(100, progress)), detail: undefined };
  if (typeof progress === 'object') {
    const percent = (progress as { percent?: unknown }).percent;
    return { percent: typeof percent === 'number' ? percent : undefined, detail: JSON.stringify(progress).slice(0, 120) };
  }
  return { percent: undefined, detail: String(progress) };
}
