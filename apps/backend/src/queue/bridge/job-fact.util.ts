import { EVENT_PAYLOAD_SCHEMAS, type EventPayloads } from '@taskdash/contract';
import type { JobEventType } from '../queue-events.service';
import type { JobStateTracker, StateChange } from './job-state.tracker';
import type { JobStreamEntry } from './job-stream-entry.util';
import { streamIdTime } from './stream-id.util';

/** One event to publish, derived from one stream entry (whose id makes the event's id). */
export type JobFact = { entryId: string; at: number } & {
  [T in JobEventType]: { type: T; payload: EventPayloads[T] };
}[JobEventType];

type ProgressEntry = Extract<JobStreamEntry, { kind: 'progress' }>;

/**
 * Turns a batch of entries into the events to publish, in stream order per job. Progress
 * is coalesced: of a run of progress entries, only the last before the job's next state
 * change (or the batch's end) is kept. State changes are never dropped except when the
 * tracker says they would move the job backwards. Pure apart from the tracker, so the same
 * entries and tracker state give the same facts (which a resumed batch relies on).
 */
export function coalesce(queue: string, entries: readonly JobStreamEntry[], tracker: JobStateTracker): JobFact[] {
  const facts: JobFact[] = [];
  const pending = new Map<string, ProgressEntry>();
  const ref = (jobId: string) => ({ queue, jobId, ...tracker.info(jobId) });
  const flush = (jobId: string) => {
    const entry = pending.get(jobId);
    if (!entry) return;
    pending.delete(jobId);
    // A value the contract refuses (e.g. a huge object) is skipped rather than failing the batch.
    const parsed = EVENT_PAYLOAD_SCHEMAS['job.progress'].safeParse({ ...ref(jobId), progress: parseProgress(entry.data) });
    if (parsed.success) facts.push({ entryId: entry.id, at: streamIdTime(entry.id), type: 'job.progress', payload: parsed.data });
  };
  for (const entry of entries) {
    if (entry.kind === 'progress') {
      if (!tracker.acceptsProgress(entry.jobId)) continue;
      pending.delete(entry.jobId); // re-insert: pending progress is flushed in order of its latest entry
      pending.set(entry.jobId, entry);
      continue;
    }
    const change = tracker.apply(entry);
    if (!change) continue;
    flush(entry.jobId);
    facts.push(stateFact(entry.id, change, ref(entry.jobId)));
  }
  for (const jobId of [...pending.keys()]) flush(jobId);
  return facts;
}

function parseProgress(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? {} : { delayedUntil: new Date(ms).toISOString() });

function stateFact(entryId: string, change: StateChange, ref: EventPayloads['job.active']): JobFact {
  const at = streamIdTime(entryId);
  switch (change.type) {
    case 'job.waiting':
    case 'job.retrying':
      return { entryId, at, type: change.type, payload: { ...ref, ...iso(change.delayedUntil) } };
    case 'job.completed':
      return { entryId, at, type: change.type, payload: { ...ref, ...(change.durationMs === undefined ? {} : { durationMs: change.durationMs }) } };
    case 'job.failed':
      return { entryId, at, type: change.type, payload: { ...ref, reason: change.reason } };
    case 'job.active':
    case 'job.stalled':
    case 'job.removed':
      return { entryId, at, type: change.type, payload: ref };
  }
}
