/** One entry of BullMQ's `<prefix>:<queue>:events` stream that concerns a job's state or progress. */
export type JobStreamEntry = { id: string; jobId: string } & (
  | { kind: 'waiting'; prev: string | undefined }
  | { kind: 'delayed'; until: number | undefined }
  | { kind: 'active' }
  | { kind: 'progress'; data: string }
  | { kind: 'completed' }
  | { kind: 'failed'; reason: string }
  | { kind: 'stalled' }
  | { kind: 'removed' }
);

/** A raw stream entry as XREAD and XRANGE return it: `[id, [field, value, ...]]`. */
export type RawStreamEntry = [id: string, fields: string[]];

function fieldsOf(flat: string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  return fields;
}

/**
 * Parses an entry; `undefined` for events that say nothing about one job's state
 * (`added` precedes `waiting`, `drained`, `retries-exhausted` follows `failed`, ...).
 */
export function parseStreamEntry([id, flat]: RawStreamEntry): JobStreamEntry | undefined {
  const fields = fieldsOf(flat);
  const jobId = fields.get('jobId');
  const event = fields.get('event');
  if (!jobId) return undefined;
  switch (event) {
    case 'waiting':
      return { id, jobId, kind: 'waiting', prev: fields.get('prev') };
    case 'delayed': {
      const until = Number(fields.get('delay'));
      return { id, jobId, kind: 'delayed', until: Number.isFinite(until) && until > 0 ? until : undefined };
    }
    case 'active':
    case 'completed':
    case 'stalled':
    case 'removed':
      return { id, jobId, kind: event };
    case 'progress':
      return { id, jobId, kind: 'progress', data: fields.get('data') ?? 'null' };
    case 'failed':
      return { id, jobId, kind: 'failed', reason: fields.get('failedReason') ?? '' };
    case undefined:
    default:
      return undefined;
  }
}
