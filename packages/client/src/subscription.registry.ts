import type { SubscribeResult } from '@taskdash/contract';
import type { RealtimeException } from './realtime.exception';

interface Waiter {
  resolve: (result: SubscribeResult) => void;
  reject: (error: RealtimeException) => void;
}

/**
 * Which streams the app wants, which of them have a subscribe on the wire, and who waits
 * for each answer. A stream is remembered from the moment it is asked for until the
 * server refuses it or the app unsubscribes; every remembered stream is subscribed again
 * after a reconnect.
 */
export class SubscriptionRegistry {
  private readonly wanted = new Set<string>();
  private readonly inflight = new Set<string>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** Unsubscribed on this connection: events still on the wire for them are ignored. */
  private readonly dropped = new Set<string>();

  /** Remembers `streams` and returns one promise per stream for its subscribe result. */
  want(streams: readonly string[]): Promise<SubscribeResult>[] {
    return streams.map((stream) => {
      this.wanted.add(stream);
      this.dropped.delete(stream);
      return new Promise<SubscribeResult>((resolve, reject) => {
        const list = this.waiters.get(stream) ?? [];
        list.push({ resolve, reject });
        this.waiters.set(stream, list);
      });
    });
  }

  /** The remembered streams among `streams` that have no subscribe on the wire; marks them sent. */
  takeUnsent(streams: Iterable<string>): string[] {
    const unsent = [...streams].filter((s) => this.wanted.has(s) && !this.inflight.has(s));
    for (const stream of unsent) this.inflight.add(stream);
    return unsent;
  }

  all(): string[] {
    return [...this.wanted];
  }

  isDropped(stream: string): boolean {
    return this.dropped.has(stream);
  }

  /** Delivers the server's answer; returns whether anyone was waiting for it. */
  settle(result: SubscribeResult): boolean {
    this.inflight.delete(result.stream);
    if (!result.ok) this.wanted.delete(result.stream);
    const list = this.waiters.get(result.stream);
    this.waiters.delete(result.stream);
    for (const waiter of list ?? []) waiter.resolve(result);
    return list !== undefined;
  }

  /**
   * The subscribe of `streams` got no answer: forget them and reject their waiters.
   * Returns the streams nobody waited for (an automatic resubscribe).
   */
  fail(streams: readonly string[], error: RealtimeException): string[] {
    const unawaited: string[] = [];
    for (const stream of streams) {
      this.inflight.delete(stream);
      this.wanted.delete(stream);
      if (!this.rejectWaiters(stream, error)) unawaited.push(stream);
    }
    return unawaited;
  }

  /** The app unsubscribed (or access was revoked): forget `streams` and cancel their waiters. */
  drop(streams: readonly string[], error: RealtimeException): void {
    for (const stream of streams) {
      this.wanted.delete(stream);
      this.inflight.delete(stream);
      this.dropped.add(stream);
      this.rejectWaiters(stream, error);
    }
  }

  /**
   * The connection was lost: the answers on the wire will never come. Waiters stay; the
   * resubscribe after the reconnect answers them.
   */
  offline(): void {
    this.inflight.clear();
    this.dropped.clear();
  }

  /** Rejects every waiter (close, failure); the remembered streams stay for a later connect(). */
  rejectAll(error: RealtimeException): void {
    this.inflight.clear();
    for (const stream of [...this.waiters.keys()]) this.rejectWaiters(stream, error);
  }

  private rejectWaiters(stream: string, error: RealtimeException): boolean {
    const list = this.waiters.get(stream);
    this.waiters.delete(stream);
    for (const waiter of list ?? []) waiter.reject(error);
    return list !== undefined;
  }
}
