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
import { CommittedEvents } from './committed-events';
import type { EventStore, PendingEvent } from './event-store';
import type { EventTransactions, EventTx } from './event-transactions.service';
import type { PublisherOptions } from './events-options.types';
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

/** Where a publish goes: with `tx`, into that domain transaction; without, group commit. */
export interface PublishOptions {
  tx?: EventTx;
}

/**
 * Optional hooks for metrics, set with `observe`. The publisher behaves the same without
 * them (unit tests and benchmarks construct it bare); they must be cheap and must not throw.
 */
export interface PublisherObserver {
  /** One batch was written with one INSERT, taking `ms`. */
  batchWritten(size: number, ms: number): void;
  /** A write failed; it is retried. */
  storeFailed(): void;
  /** Publishes refused: queue full for too long (`unavailable`), or the store for too long (`outcome_unknown`). */
  rejected(reason: 'backpressure' | 'store_timeout', count: number): void;
}

interface Waiter {
  event: PendingEvent;
  /** `performance.now()` when it was queued (for the batch window). */
  queuedAt: number;
  deadline: number;
  resolve: (envelope: EventEnvelope) => void;
  reject: (error: Error) => void;
}

/** Waiters and the envelopes stored for them, index for index. */
type Settlement = [Waiter[], EventEnvelope[]];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one publish path: validate against the contract, store in PostgreSQL, then hand the
 * stored envelopes to delivery (`CommittedEvents`). Given `{ tx }`, the events are appended
 * inside that domain transaction instead and handed over after its commit
 * (`EventTransactions`). Without, concurrent publishes are group-committed: a batch takes
 * up to `maxBatchSize` queued events into a single INSERT. Up to `maxInFlight` batches are
 * stored at once, on as many connections, but never two holding the same stream, so each
 * stream's events are stored, numbered and fanned out in the order they were published.
 * Under load the queue fills while INSERTs run and batches grow; when quiet, an event does
 * not wait for another stream's INSERT. A publish resolves only once its event is stored;
 * nothing is emitted before that.
 */
export class EventPublisher {
  private readonly logger = new Logger(EventPublisher.name);
  private queue: Waiter[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  /** Batches being stored, and the streams they hold (each in at most one of them). */
  private inFlight = 0;
  /** Batches taken and not yet fanned out (`drain` waits for them too). */
  private unsettled = 0;
  private readonly storing = new Set<string>();
  /**
   * Set when everything queued belongs to streams being stored: nothing can go before a
   * store completes, so publishing does not scan the queue again (that scan, per publish,
   * made a full queue quadratic).
   */
  private blocked = false;
  /** The timer (or immediate) that will start the next batch. */
  private wakeup: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private observer: PublisherObserver | undefined;
  /**
   * Events whose callers were told `outcome_unknown`: looked up once the database answers
   * again, and delivered if they were stored, so a stored event always reaches sockets.
   */
  private unresolved: PendingEvent[] = [];
  private resolving = false;

  constructor(
    private readonly store: EventStore,
    private readonly options: PublisherOptions,
    /** Where stored events go; a publisher built alone (tests, benchmarks) gets its own. */
    readonly committed: CommittedEvents = new CommittedEvents(),
    /** Needed only for `{ tx }` publishes. */
    private readonly transactions?: EventTransactions,
  ) {}

  /** Installs (or with `undefined` removes) the metrics hooks. */
  observe(observer: PublisherObserver | undefined): void {
    this.observer = observer;
  }

  /** Events accepted but not stored yet. */
  get backlog(): number {
    return this.queue.length;
  }

  async publish<T extends EventType>(input: PublishInput<T>, options: PublishOptions = {}): Promise<EventEnvelope<T>> {
    if (options.tx) return (await this.appendIn(options.tx, [input]))[0] as EventEnvelope<T>;
    const event = this.validate(input);
    if (this.queue.length >= this.options.maxPending) await this.waitForSpace();
    return new Promise<EventEnvelope<T>>((resolve, reject) => {
      this.queue.push({
        event,
        queuedAt: performance.now(),
        deadline: Date.now() + this.options.storeTimeoutMs,
        resolve: resolve as (envelope: EventEnvelope) => void,
        reject,
      });
      this.schedule();
    });
  }

  /**
   * Publishes several events; their order is kept within each stream. With `{ tx }` they are
   * stored all or nothing, in one statement; without, each is stored on its own.
   */
  publishMany(inputs: PublishInput[], options: PublishOptions = {}): Promise<EventEnvelope[]> {
    if (options.tx) return this.appendIn(options.tx, inputs);
    return Promise.all(inputs.map((input) => this.publish(input)));
  }

  /**
   * Appends in the caller's transaction, in one statement: the streams' rows are locked in
   * name order (as a batch locks them) until the transaction ends, so its seqs commit in
   * order with every other writer's.
   */
  private async appendIn(tx: EventTx, inputs: PublishInput[]): Promise<EventEnvelope[]> {
    if (!this.transactions) throw new PublishException(ErrorCode.InvalidMessage, 'this publisher has no transactions');
    const transactions = this.transactions;
    transactions.staged(tx);
    const events = inputs.map((input) => this.validate(input));
    const started = performance.now();
    const stored = await this.store.appendIn(tx, events);
    this.observer?.batchWritten(events.length, performance.now() - started);
    transactions.stage(tx, stored);
    return stored;
  }

  /** Refuses new events and resolves once everything accepted so far is stored or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.queue.length === 0 && this.unsettled === 0) return;
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

  /**
   * Starts the batches that may go now. A batch waits `batchWindowMs` from its oldest event
   * for company (with 0, until the end of the current turn of the event loop, so that
   * everything published together goes together), unless it is full; it goes only while
   * fewer than `maxInFlight` are being stored. After a store completes, what queued
   * meanwhile has waited long enough and goes at once.
   */
  private schedule(): void {
    if (this.wakeup || this.blocked || this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    const wait = this.options.batchWindowMs - (performance.now() - this.queue[0]!.queuedAt);
    if (this.queue.length >= this.options.maxBatchSize || (wait <= 0 && this.options.batchWindowMs > 0)) {
      this.pump();
      return;
    }
    const go = () => {
      this.wakeup = undefined;
      this.pump();
    };
    this.wakeup = wait > 0 ? setTimeout(go, wait) : setImmediate(go);
  }

  /** Sends batches while there is room in flight and something that may go. */
  private pump(): void {
    while (this.inFlight < this.options.maxInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) {
        this.blocked = this.queue.length > 0;
        break;
      }
      this.wakeSpaceWaiters();
      this.inFlight++;
      this.unsettled++;
      const streams = new Set(batch.map((waiter) => waiter.event.stream));
      for (const stream of streams) this.storing.add(stream);
      void this.storeBatch(batch).then((settlements) => this.stored(streams, settlements));
    }
  }

  /**
   * A batch is stored. What queued meanwhile (it has waited a whole store) goes first, then
   * the batch is fanned out while the database works on the next one: sending a statement is
   * synchronous (`pg` writes it to an idle pooled connection at once), and fan-out, also
   * synchronous, takes as long as an INSERT on a busy node; done the other way round the two
   * would add up. Nothing waits in between, so a stream's next batch, sent here, cannot
   * come back before this one is fanned out: each stream is fanned out in seq order.
   */
  private stored(streams: ReadonlySet<string>, settlements: Settlement[]): void {
    this.inFlight--;
    this.blocked = false;
    for (const stream of streams) this.storing.delete(stream);
    if (this.queue.length > 0) this.pump();
    for (const [waiters, envelopes] of settlements) this.settle(waiters, envelopes);
    this.unsettled--;
    if (this.queue.length === 0 && this.unsettled === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
  }

  /**
   * The next batch: queued events in order, up to `maxBatchSize`, leaving out every stream
   * that a batch in flight is storing (and so, to keep its order, that stream's later events
   * too). A stream is thus in at most one INSERT at a time: its events are stored in the
   * order they were published, even when a batch fails and is retried while others commit.
   */
  private takeBatch(): Waiter[] {
    const max = this.options.maxBatchSize;
    if (this.storing.size === 0) return this.queue.splice(0, max);
    const batch: Waiter[] = [];
    const rest: Waiter[] = [];
    for (const waiter of this.queue) {
      if (batch.length < max && !this.storing.has(waiter.event.stream)) batch.push(waiter);
      else rest.push(waiter);
    }
    if (batch.length > 0) this.queue = rest;
    return batch;
  }

  private wakeSpaceWaiters(): void {
    let room = this.options.maxPending - this.queue.length;
    while (room-- > 0 && this.spaceWaiters.length > 0) this.spaceWaiters.shift()?.();
  }

  /**
   * Stores one batch, retrying while the database fails, and returns what to settle, in
   * order. After a failure the outcome of the commit is unknown, so the ids are looked up
   * first: what was stored is settled as stored, only the rest is written again. A caller
   * past its deadline while the outcome is unknown gets `outcome_unknown` (never "not
   * stored": it may be); its event is still looked up once the database answers, and
   * delivered if it was stored, but not written again (a retry with the same id is).
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
        if (expired.length > 0) {
          // The last attempt failed, so whether it committed is unknown: never "not stored".
          for (const waiter of expired) {
            waiter.reject(
              new PublishException(
                ErrorCode.OutcomeUnknown,
                'event store did not confirm the write in time; it may be stored (retrying with the same id is safe)',
              ),
            );
          }
          this.observer?.rejected('store_timeout', expired.length);
          this.unresolved.push(...expired.map((w) => w.event));
          pending = pending.filter((w) => w.deadline > now);
          if (pending.length === 0) break;
        }
        await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)));
      }
    }
    if (this.unresolved.length > 0) void this.resolveUnknown();
    return settlements;
  }

  /**
   * Looks up the events given up on, until the database answers: those it holds are
   * delivered (late, but delivered; the dispatcher puts them in order), the others were not
   * stored and are forgotten (their callers may publish them again with the same id).
   */
  private async resolveUnknown(): Promise<void> {
    if (this.resolving) return;
    this.resolving = true;
    try {
      for (let attempt = 0; this.unresolved.length > 0; attempt++) {
        const events = [...this.unresolved];
        try {
          const found = await this.store.findByIds(events.map((e) => e.id));
          this.unresolved.splice(0, events.length);
          found.sort((a, b) => (a.stream === b.stream ? a.seq - b.seq : a.stream < b.stream ? -1 : 1));
          if (found.length > 0) this.committed.emit(found);
        } catch {
          await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)));
        }
      }
    } finally {
      this.resolving = false;
    }
  }

  /** `stored[i]` is what `waiters[i]` published; both in input order, so ascending seq per stream. */
  private settle(waiters: Waiter[], stored: EventEnvelope[]): void {
    this.committed.emit(stored);
    waiters.forEach((waiter, i) => waiter.resolve(stored[i]!));
  }
}
