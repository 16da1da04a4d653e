import type { EventEnvelope, EventPayloads } from '@taskdash/contract';

/** Task events that change what the task is or who is on it: they stand out in the timeline. */
const MAJOR = new Set<string>(['task.created', 'task.status_changed', 'task.member_added', 'task.member_removed', 'task.deleted']);

/** One job's events folded into one row: its latest state and progress, and what operators did to it. */
export interface JobRow {
  kind: 'job';
  jobId: string;
  name: string | undefined;
  executionId: string | undefined;
  /** The latest state (`waiting`, `active`, `completed`, `failed`, ...); progress means `active`. */
  state: string;
  progress: unknown;
  /** How many events the row stands for. */
  updates: number;
  first: EventEnvelope;
  last: EventEnvelope;
  /** Operators' actions on the job, oldest first ("olga retried"). */
  actions: Array<EventPayloads['queue.action']>;
  /** An agent run (the job has an execution): it stands out like a status change. */
  major: boolean;
}

export interface EventRow {
  kind: 'event';
  event: EventEnvelope;
  major: boolean;
}

export type TimelineRow = JobRow | EventRow;

const jobIdOf = (event: EventEnvelope): string | undefined =>
  event.type.startsWith('job.') || event.type === 'queue.action' ? (event.payload as { jobId?: string }).jobId : undefined;

/**
 * Folds a task's timeline (oldest first) so that it reads well: every event of one job
 * (states, progress, operators' actions) becomes one row at the place of the job's first
 * event, showing where the job is now; task events stay one row each, the ones that change
 * status or membership marked major. Pure, so it is tested without a page.
 */
export function foldTimeline(events: readonly EventEnvelope[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const jobs = new Map<string, JobRow>();
  for (const event of events) {
    const jobId = jobIdOf(event);
    if (jobId === undefined) {
      rows.push({ kind: 'event', event, major: MAJOR.has(event.type) });
      continue;
    }
    let row = jobs.get(jobId);
    if (!row) {
      row = { kind: 'job', jobId, name: undefined, executionId: undefined, state: 'waiting', progress: undefined, updates: 0, first: event, last: event, actions: [], major: false };
      jobs.set(jobId, row);
      rows.push(row);
    }
    foldInto(row, event);
  }
  return rows;
}

function foldInto(row: JobRow, event: EventEnvelope): void {
  const p = event.payload as { name?: string; executionId?: string; progress?: unknown };
  row.updates += 1;
  row.last = event;
  row.name ??= p.name;
  row.executionId ??= p.executionId;
  row.major = row.executionId !== undefined;
  if (event.type === 'queue.action') row.actions.push(event.payload as EventPayloads['queue.action']);
  else if (event.type === 'job.progress') {
    row.progress = p.progress;
    // Progress only comes while running; a late one never reopens a finished job.
    if (row.state === 'waiting' || row.state === 'retrying') row.state = 'active';
  } else if (event.type !== 'job.reload_required') row.state = event.type.slice('job.'.length);
}
