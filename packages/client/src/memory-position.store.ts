import type { StreamPosition } from '@taskdash/contract';
import type { PositionStore } from './position-store.types';

/**
 * Keeps positions for the lifetime of the page or process: enough to resume after a
 * reconnect, not after a reload. The default store of `RealtimeClient`.
 *
 * @example
 * const store = new MemoryPositionStore();
 * store.set('task:1b9d…', { seq: 4, epoch: '6f1c…' });
 */
export class MemoryPositionStore implements PositionStore {
  private readonly positions = new Map<string, StreamPosition>();

  get(stream: string): StreamPosition | undefined {
    return this.positions.get(stream);
  }

  set(stream: string, position: StreamPosition): void {
    // A copy, so that a caller mutating its object cannot move our position.
    this.positions.set(stream, { seq: position.seq, epoch: position.epoch });
  }

  delete(stream: string): void {
    this.positions.delete(stream);
  }

  /** Forgets every position, e.g. when the user signs out. */
  clear(): void {
    this.positions.clear();
  }
}
