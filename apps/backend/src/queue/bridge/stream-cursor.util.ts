import type { StreamRead } from './queue-event-stream.store';

/** A position in the event stream: an entry id and that entry's ordinal (when Redis tells). */
export interface StreamCursor {
  id: string;
  ordinal: number | undefined;
}

/**
 * Where a read leaves the cursor, and whether entries right after the cursor were trimmed
 * before the read (a gap). The entries of a read continue the cursor unless there is a
 * gap; after a gap they begin at the stream's first entry. When nothing is left to read
 * the id stays (everything between it and the next entry is gone and reported).
 */
export function advance(cursor: StreamCursor, read: StreamRead): { gap: boolean; next: StreamCursor } {
  const first = read.firstOrdinal;
  const gap = cursor.ordinal !== undefined && first !== undefined && first > cursor.ordinal + 1;
  const base = gap || cursor.ordinal === undefined ? (first === undefined ? undefined : first - 1) : cursor.ordinal;
  return {
    gap,
    next: { id: read.lastId ?? cursor.id, ordinal: base === undefined ? undefined : base + read.scanned },
  };
}
