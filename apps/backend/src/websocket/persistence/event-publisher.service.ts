import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  EVENT_PAYLOAD_SCHEMAS,
  ErrorCode,
  isEventType,
  parseStream,
  type EventEnvelope,
  type EventPayloads,
  type EventType,
} from '@taskdash/contract';
import type { PublisherOptions } from '../websocket-options.types';
import type { EventStore, PendingEvent } from './event-store';
import { PublishException } from './publish.exception';

export interface PublishInput<T extends EventType = EventType> {
  stream: string;
  type: T;
  payload: EventPayloads[T];
  /** When it happened. @default now */
  occurredAt?: Date;
  /**
   * The event's id (a uuid). A producer that may publish the same fact twice (e.g. after a
   * crash) passes a deterministic id and looks it up with `EventStore.findByIds` first.
   * @default a random uuid
   */
  id?: string;
}

/** Receives every batch right after it is stored, in seq order per stream. */
export type StoredListener = (events: EventEnvelope[]) => void;

/**
 * Optional hooks for metrics, set with `observe`. The publisher behaves the same without
 * them (unit tests and benchmarks construct it bare); they must be cheap and must not throw.
 */
export interface PublisherObserver {
  /** One batch was written with one INSERT, taking `ms`. */
  batchWritten(size: number, ms: number): void;
  /** Events were stored and handed to the fan-out. */
  stored(events: readonly EventEnvelope[]): void;
  /** A write failed; it is retried. */
  storeFailed(): void;
  /** Publishes refused with `unavailable`: queue full for too long, or the store for too long. */
  rejected(reason: 'backpressure' | 'store_timeout', count: number): void;
}

interface Waiter {
  event: PendingEvent;
  deadline: number;
  resolve: (envelope: EventEnvelope) => void;
  reject: (error: Error) => void;
}

/** Waiters and the envelopes stored for them, index for index. */
type Settlement = [Waiter[], EventEnvelope[]];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one publish path: validate against the contract, store in PostgreSQL, then hand the
 * stored envelopes to the fan-out. Concurrent publishes are group-committed: one flush at a
 * time takes up to `maxBatchSize` queued events into a single INSERT, so per-node order is
 * kept and the database sees few, large statements. A publish resolves only once its event
 * is stored; nothing is emitted before that.
 */
export class EventPublisher {
  private readonly logger = new Logger(EventPublisher.name);
  private readonly queue: Waiter[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private readonly listeners: StoredListener[] = [];
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private observer: PublisherObserver | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly options: PublisherOptions,
  ) {}

  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Installs (or with `undefined` removes) the metrics hooks. */
  observe(observer: PublisherObserver | undefined): void {
    this.observer = observer;
  }

  /** Events accepted but not stored yet. */
  get backlog(): number {
    return this.queue.length;
  }

  async publish<T extends EventType>(input: PublishInput<T>): Promise<EventEnvelope<T>> {
    const event = this.validate(input);
    if (this.queue.length >= this.options.maxPending) await this.waitForSpace();
    return new Promise<EventEnvelope<T>>((resolve, reject) => {
      this.queue.push({
        event,
        deadline: Date.now() + this.options.storeTimeoutMs,
        resolve: resolve as (envelope: EventEnvelope) => void,
        reject,
      });
      this.schedule();
    });
  }

  /** Publishes several events; their order is kept within each stream. */
  publishMany(inputs: PublishInput[]): Promise<EventEnvelope[]> {
    return Promise.all(inputs.map((input) => this.publish(input)));
  }

  /** Refuses new events and resolves once everything accepted so far is stored or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.queue.length === 0 && !this.flushing) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private validate<T extends EventType>(input: PublishInput<T>): PendingEvent {
    if (this.closed) throw new PublishException(ErrorCode.Unavailable, 'publisher is shutting down');
    if (!parseStream(input.stream))
      throw new PublishException(ErrorCode.InvalidMessage, `bad stream name ${input.stream}`);
    if (!isEventType(input.type))
      throw new PublishException(ErrorCode.InvalidMessage, `unknown event type ${String(input.type)}`);
    const parsed = EVENT_PAYLOAD_SCHEMAS[input.type].safeParse(input.payload);
    if (!parsed.success) {
      throw new PublishException(
        ErrorCode.InvalidMessage,
        `invalid ${input.type} payload: ${parsed.error.message}`,
      );
    }
    return {
      id: input.id ?? randomUUID(),
      stream: input.stream,
      type: input.type,
      payload: parsed.data,
      occurredAt: input.occurredAt ?? new Date(),
    };
  }

  private waitForSpace(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.spaceWaiters.indexOf(wake);
        if (index >= 0) this.spaceWaiters.splice(index, 1);
        this.observer?.rejected('backpressure', 1);
        reject(new PublishException(ErrorCode.Unavailable, 'event store is not keeping up; try again later'));
      }, this.options.enqueueTimeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.spaceWaiters.push(wake);
    });
  }

  private schedule(): void {
    if (this.flushing || this.timer) return;
    if (this.queue.length >= this.options.maxBatchSize || this.options.batchWindowMs <= 0) {
      void this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.batchWindowMs);
  }

  /**
   * Stores batches one at a time (one INSERT in flight keeps per-node order), pipelined
   * with the fan-out: when a batch is stored, the next INSERT goes out first and the stored
   * batch is fanned out while the database works on it. Fan-out is synchronous and, on a
   * busy node, takes as long as the INSERT; done the other way round the two add up.
   */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      let inFlight = this.storeNext();
      while (inFlight) {
        const stored = await inFlight;
        inFlight = this.storeNext();
        // `pg` writes the next statement on the next tick; let it go before the fan-out.
        if (inFlight) await new Promise<void>((resolve) => setImmediate(resolve));
        for (const [waiters, envelopes] of stored) this.settle(waiters, envelopes);
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
      else this.idleWaiters.splice(0).forEach((wake) => wake());
    }
  }

  /** Takes the next batch off the queue and starts storing it; `undefined` when empty. */
  private storeNext(): Promise<Settlement[]> | undefined {
    if (this.queue.length === 0) return undefined;
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    this.wakeSpaceWaiters();
    return this.storeBatch(batch);
  }

  private wakeSpaceWaiters(): void {
    let room = this.options.maxPending - this.queue.length;
    while (room-- > 0 && this.spaceWaiters.length > 0) this.spaceWaiters.shift()?.();
  }

  /**
   * Stores one batch, retrying while the database fails, and returns what to settle, in
   * order. After a failure the outcome of the commit is unknown, so the ids are looked up
   * first: what was stored is settled as stored, only the rest is written again. Callers
   * past their deadline get `unavailable`.
   */
  private async storeBatch(batch: Waiter[]): Promise<Settlement[]> {
    const settlements: Settlement[] = [];
    let pending = batch;
    let uncertain = false;
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        if (uncertain) {
          const found = await this.store.findByIds(pending.map((w) => w.event.id));
          if (found.length > 0) {
            const byId = new Map(found.map((e) => [e.id, e]));
            // Kept in input order, which is seq order within each stream (seqs follow input order).
            const settled = pending.filter((w) => byId.has(w.event.id));
            settlements.push([settled, settled.map((w) => byId.get(w.event.id)!)]);
            pending = pending.filter((w) => !byId.has(w.event.id));
          }
          uncertain = false;
          if (pending.length === 0) break;
        }
        const started = performance.now();
        const stored = await this.store.append(pending.map((w) => w.event));
        this.observer?.batchWritten(pending.length, performance.now() - started);
        settlements.push([pending, stored]);
        break;
      } catch (error) {
        uncertain = true;
        this.observer?.storeFailed();
        this.logger.warn({
          msg: 'event store write failed; retrying',
          attempt,
          events: pending.length,
          error: (error as Error).message,
        });
        const now = Date.now();
        const expired = pending.filter((w) => w.deadline <= now);
        // Only give up on events whose fate is known (the lookup above succeeded) or expired.
        if (expired.length > 0) {
          expired.forEach((w) =>
            w.reject(new PublishException(ErrorCode.Unavailable, 'event store unavailable')),
          );
          this.observer?.rejected('store_timeout', expired.length);
          pending = pending.filter((w) => w.deadline > now);
        }
        await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)));
      }
    }
    return settlements;
  }

  /** `stored[i]` is what `waiters[i]` published; both in input order, so ascending seq per stream. */
  private settle(waiters: Waiter[], stored: EventEnvelope[]): void {
    this.observer?.stored(stored);
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch (error) {
        this.logger.error(error instanceof Error ? error : String(error));
      }
    }
    waiters.forEach((waiter, i) => waiter.resolve(stored[i]!));
  }
}
