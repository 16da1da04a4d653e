import type { EventPayloads, EventType } from './events';

/**
 * A position in a stream: the last `seq` seen, within one `epoch`. The epoch changes when
 * a stream's history is reset; a position from another epoch cannot be resumed.
 */
export interface StreamPosition {
  seq: number;
  epoch: string;
}

/** What every delivered event looks like. `seq` is contiguous per stream: 1, 2, 3, ... */
export interface EventEnvelope<T extends EventType = EventType> {
  /** Globally unique event id (uuid). */
  id: string;
  stream: string;
  seq: number;
  epoch: string;
  type: T;
  /** ISO-8601 time the publisher saw the event happen. */
  occurredAt: string;
  payload: EventPayloads[T];
}

/** Narrows an envelope by its type, e.g. `if (isEvent(e, 'task.created')) e.payload.task`. */
export const isEvent = <T extends EventType>(e: EventEnvelope, type: T): e is EventEnvelope<T> =>
  e.type === type;
