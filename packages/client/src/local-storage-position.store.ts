import type { StreamPosition } from '@taskdash/contract';
import type { PositionStore, StorageLike } from './position-store.types';

/** Options of {@link LocalStoragePositionStore}. */
export interface LocalStoragePositionStoreOptions {
  /**
   * Prepended to the stream name to form the storage key. Include the user id when several
   * users may share a browser, so that one user never resumes from another's positions.
   * @default 'taskdash:position:'
   * @example 'taskdash:position:user-42:'
   */
  prefix?: string;
  /**
   * Where to store positions: `localStorage`, `sessionStorage` or any object with the same
   * methods (a fake in tests, a polyfill in Node).
   * @default globalThis.localStorage
   */
  storage?: StorageLike;
}

const DEFAULT_PREFIX = 'taskdash:position:';

/**
 * Keeps positions in Web Storage as JSON, so that a reloaded page resumes its streams
 * where it stopped instead of reloading everything.
 *
 * @example
 * const positionStore = new LocalStoragePositionStore({ prefix: `taskdash:${userId}:` });
 * const client = new RealtimeClient({ url, token, positionStore });
 */
export class LocalStoragePositionStore implements PositionStore {
  private readonly prefix: string;
  private readonly storage: StorageLike;

  constructor(options: LocalStoragePositionStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    const storage = options.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
    if (!storage) {
      throw new TypeError('LocalStoragePositionStore: no localStorage here; pass options.storage');
    }
    this.storage = storage;
  }

  get(stream: string): StreamPosition | undefined {
    const raw = this.read(this.prefix + stream);
    if (raw === null) return undefined;
    try {
      return toPosition(JSON.parse(raw));
    } catch {
      // Written by another version or by hand: resuming from it could hide a gap, so
      // treat it as unknown (the server then starts the stream live).
      return undefined;
    }
  }

  set(stream: string, position: StreamPosition): void {
    try {
      this.storage.setItem(
        this.prefix + stream,
        JSON.stringify({ seq: position.seq, epoch: position.epoch }),
      );
    } catch {
      // Quota exceeded or storage disabled (private mode): the position stays in the
      // client's memory, so only resuming after a page reload is lost.
    }
  }

  delete(stream: string): void {
    try {
      this.storage.removeItem(this.prefix + stream);
    } catch {
      // Same as in set(): a storage failure must not stop event delivery.
    }
  }

  /** Removes every position under this store's prefix, e.g. when the user signs out. */
  clear(): void {
    const keys: string[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (key?.startsWith(this.prefix)) keys.push(key);
    }
    for (const key of keys) this.storage.removeItem(key);
  }

  private read(key: string): string | null {
    try {
      return this.storage.getItem(key);
    } catch {
      return null;
    }
  }
}

function toPosition(value: unknown): StreamPosition | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { seq, epoch } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof epoch !== 'string' || epoch.length === 0) return undefined;
  return { seq, epoch };
}
