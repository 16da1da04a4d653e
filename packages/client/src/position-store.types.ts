import type { StreamPosition } from '@taskdash/contract';

/**
 * Where the client keeps the last position it delivered for each stream, so that a
 * reconnect (or, with a persistent store, a page reload) resumes instead of starting over.
 *
 * The methods are synchronous on purpose: the client reads a position at the moment it
 * sends a `subscribe`, and writes one for every delivered event. An asynchronous backend
 * (IndexedDB, a file) can sit behind an in-memory cache that implements this interface.
 *
 * @example
 * const store: PositionStore = new LocalStoragePositionStore({ prefix: `taskdash:${userId}:` });
 * new RealtimeClient({ url, token, positionStore: store });
 */
export interface PositionStore {
  /** The last delivered position of `stream`, or `undefined` when none is known. */
  get(stream: string): StreamPosition | undefined;
  /** Records the last delivered position of `stream`. */
  set(stream: string, position: StreamPosition): void;
  /** Forgets `stream` (after an unsubscribe or a revoked access). */
  delete(stream: string): void;
}

/** The subset of the Web Storage API the `LocalStoragePositionStore` needs. */
export interface StorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
