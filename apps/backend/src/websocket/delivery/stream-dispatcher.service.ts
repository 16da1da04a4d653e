import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '@taskdash/contract';
import type { CommittedEvents } from '../../events/committed-events';
import { NO_EPOCH, type EventStore, type StreamHead } from '../../events/event-store';
import { streamRoom } from './stream-room.util';

/** A contiguous run of one stream's events, for every local socket in its room. */
export interface RoomRun {
  room: string;
  events: EventEnvelope[];
}

/**
 * Emits runs of different streams that became ready together (one stored batch), so that
 * a socket in several of their rooms can get them in one message.
 */
export type RoomEmitter = (runs: readonly RoomRun[]) => void;

/**
 * Told when the node starts and stops tracking a stream, so that cross-node delivery can
 * bring this node exactly the streams it tracks (`StreamChannels`). `track` completes
 * before the stream's head is read.
 */
export interface StreamInterest {
  track(stream: string): Promise<void>;
  untrack(stream: string): void;
}

/** What this node knows of a stream that has local subscribers. */
export interface StreamState {
  readonly stream: string;
  epoch: string;
  /** Highest seq emitted to the room; every local subscriber has everything up to it. */
  head: number;
  /** Events that arrived ahead of `head + 1`, waiting for the gap to be filled. */
  buffer: Map<number, EventEnvelope>;
  /** Highest seq known to exist in the database. */
  known: number;
  /** Subscriptions in progress plus one while the room has sockets. */
  interest: number;
  filling: Promise<void> | undefined;
}

const FILL_PAGE = 1000;

/** A tracked stream and where a new subscriber's delivery starts in `epoch`. */
interface Loaded {
  state: StreamState;
  from: number;
  epoch: string;
}

/**
 * The buffer of every state that holds nothing early, which is nearly all of them nearly
 * all the time (each connected user's `user:` stream is tracked): a Map of their own would
 * cost every idle connection ~0.2 KB. Never written to; `hold` swaps in a real one.
 */
const NOTHING_HELD = new Map<number, EventEnvelope>();

/**
 * Per-node ordering of delivery. Events reach a node from its own publisher and from other
 * nodes (through the Socket.IO adapter), possibly out of order or not at all when Redis
 * drops a message. For each stream with local subscribers this keeps the highest seq
 * emitted (`head`) and emits strictly `head + 1, head + 2, ...`: duplicates are dropped,
 * and a gap is filled from the database, which is complete because seq N+1 commits only
 * after seq N (see EventStore). The room therefore always holds sockets that have exactly
 * the events `<= head`, which is what lets a replay join it without a gap or a duplicate.
 */
export class StreamDispatcher {
  private readonly logger = new Logger(StreamDispatcher.name);
  private readonly states = new Map<string, StreamState>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  /** Events that arrive while a stream's head is being read; applied once it is known. */
  private readonly early = new Map<string, EventEnvelope[]>();
  private emitter: RoomEmitter | undefined;
  private interest: StreamInterest | undefined;
  private readonly lingering = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: EventStore,
    /** Every event this node commits arrives from here (other nodes' through `EventFanout`). */
    committed: CommittedEvents | undefined,
    /**
     * How long a stream stays tracked after its last local subscriber left, in ms, so that
     * reconnecting clients (a reconnect storm above all) find it warm. @default 30000
     */
    private readonly lingerMs = 30_000,
  ) {
    committed?.subscribe((events) => this.deliver(events));
  }

  setEmitter(emitter: RoomEmitter): void {
    this.emitter = emitter;
  }

  setInterest(interest: StreamInterest): void {
    this.interest = interest;
  }

  /** Streams this node currently tracks. */
  get trackedStreams(): string[] {
    return [...this.states.keys()];
  }

  state(stream: string): StreamState | undefined {
    return this.states.get(stream);
  }

  /** Accepts stored events (local or from another node). Untracked streams are ignored. */
  deliver(events: readonly EventEnvelope[]): void {
    for (const event of events) {
      const state = this.states.get(event.stream);
      if (!state) {
        this.early.get(event.stream)?.push(event);
        continue;
      }
      if (event.epoch !== state.epoch) this.reset(state, event.epoch);
      if (event.seq > state.head) hold(state, event);
      if (event.seq > state.known) state.known = event.seq;
    }
    const touched = new Set(events.map((e) => e.stream));
    const runs: RoomRun[] = [];
    for (const stream of touched) {
      const state = this.states.get(stream);
      if (state) this.drain(state, runs);
    }
    if (runs.length > 0) this.emitter?.(runs);
  }

  /**
   * Starts tracking a stream (or takes one more interest in it) and returns its state.
   * Pair with `release`. The interest is taken before the first await when the stream is
   * tracked (the viewer registry relies on it).
   */
  async acquire(stream: string): Promise<StreamState> {
    return (await this.take(stream, true)).state;
  }

  /**
   * `acquire` for a subscriber that is told no position (the server joining a socket to its
   * own `user:` stream). A stream that does not exist yet is tracked as empty with
   * `NO_EPOCH` instead of being created; the first `acquire` creates it and learns its
   * epoch. Its head is read in a batch that waits for others (`EventStore.peekHead`), so
   * `from` says where the subscriber's delivery starts: the head, or before it when events
   * were stored while the read waited. The subscriber gets those from the store, so nothing
   * stored after it asked passes it by.
   */
  acquireUnpositioned(stream: string): Promise<{ state: StreamState; from: number }> {
    return this.take(stream, false);
  }

  private async take(stream: string, positioned: boolean): Promise<Loaded> {
    this.cancelLinger(stream);
    const tracked = this.states.get(stream);
    let loaded: Loaded;
    if (tracked) loaded = { state: tracked, from: tracked.head, epoch: tracked.epoch };
    else {
      let loading = this.loading.get(stream);
      if (!loading) {
        loading = this.load(stream, positioned);
        this.loading.set(stream, loading);
        void loading.finally(() => this.loading.delete(stream)).catch(() => undefined);
      }
      loaded = await loading;
    }
    const { state } = loaded;
    state.interest++;
    if (positioned && state.epoch === NO_EPOCH) {
      try {
        this.observeHead(state, await this.store.ensureHead(stream));
      } catch (error) {
        state.interest--;
        throw error;
      }
    }
    // From a head of another epoch (the history was reset meanwhile) nothing carries over;
    // from NO_EPOCH the stream was created after the read, so all of it came later.
    const carries = loaded.epoch === state.epoch || loaded.epoch === NO_EPOCH;
    return { state, from: carries ? Math.min(loaded.from, state.head) : state.head, epoch: state.epoch };
  }

  /**
   * Reads now the heads that unpositioned acquires wait to read in a batch: a client request
   * is queued behind one (the server's own join of its socket) and should not wait for it.
   */
  hurry(): void {
    this.store.hurryPeeks();
  }

  /** Drops one interest; the state goes when nothing local needs it any more. */
  release(stream: string, roomIsEmpty: boolean): void {
    const state = this.states.get(stream);
    if (!state) return;
    state.interest = Math.max(0, state.interest - 1);
    if (state.interest === 0 && roomIsEmpty) this.linger(stream);
  }

  /** Forgets a stream whose room emptied (after the linger), unless a subscription to it is in progress. */
  dropIfIdle(stream: string): void {
    if (this.states.get(stream)?.interest === 0) this.linger(stream);
  }

  /** Stops every linger timer (shutdown). */
  stop(): void {
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
  }

  private linger(stream: string): void {
    this.cancelLinger(stream);
    if (this.lingerMs <= 0) {
      this.forget(stream);
      return;
    }
    const timer = setTimeout(() => {
      this.lingering.delete(stream);
      if (this.states.get(stream)?.interest === 0) this.forget(stream);
    }, this.lingerMs);
    timer.unref();
    this.lingering.set(stream, timer);
  }

  private forget(stream: string): void {
    this.states.delete(stream);
    this.interest?.untrack(stream);
  }

  private cancelLinger(stream: string): void {
    const timer = this.lingering.get(stream);
    if (timer) clearTimeout(timer);
    this.lingering.delete(stream);
  }

  /** Makes `head` reach what the database holds now; returns the database head. */
  async sync(stream: string): Promise<StreamHead | undefined> {
    const state = this.states.get(stream);
    const head = await this.store.currentHead(stream);
    if (!state || !head) return head;
    this.observeHead(state, head);
    await this.fill(state);
    return head;
  }

  /**
   * Compares all tracked heads with the database and fills what a lost message left out.
   * The database answers only for streams that moved past what this node knows (nearly
   * never, since every event also arrives as a message), so the check costs one small
   * statement whatever the number of streams tracked.
   */
  async checkHeads(): Promise<void> {
    if (this.states.size === 0) return;
    const known = [...this.states.values()].map((state) => ({ name: state.stream, lastSeq: state.known, epoch: state.epoch }));
    const moved = await this.store.changedHeads(known);
    for (const head of moved) {
      const state = this.states.get(head.name);
      if (state) this.observeHead(state, head);
    }
    const behind = [...this.states.values()].filter((state) => state.known > state.head);
    await Promise.all(behind.map((state) => this.fill(state)));
  }

  private observeHead(state: StreamState, head: StreamHead): void {
    if (head.epoch !== state.epoch) this.reset(state, head.epoch);
    if (head.lastSeq > state.known) state.known = head.lastSeq;
  }

  private async load(stream: string, positioned: boolean): Promise<Loaded> {
    this.early.set(stream, []);
    let head: StreamHead;
    try {
      // Receiving first, then the head: an event stored in between is in both, never in neither.
      if (this.interest) await this.interest.track(stream);
      head = await (positioned ? this.store.ensureHead(stream) : this.store.peekHead(stream));
    } catch (error) {
      this.early.delete(stream);
      this.interest?.untrack(stream);
      throw error;
    }
    const early = this.early.get(stream) ?? [];
    this.early.delete(stream);
    const state: StreamState = {
      stream,
      epoch: head.epoch,
      head: head.lastSeq,
      known: head.lastSeq,
      buffer: NOTHING_HELD,
      interest: 0,
      filling: undefined,
    };
    this.states.set(stream, state);
    // Events that arrived while the head was read were stored after the subscriber asked:
    // one told no position starts before the first of them (a positioned one is told the head).
    let from = head.lastSeq;
    if (!positioned) for (const event of early) if (event.epoch === head.epoch && event.seq <= from) from = event.seq - 1;
    // Without this, an event committed just after the head was read would wait for the next
    // event or head check (up to a second) before reaching the first subscriber.
    if (early.length > 0) this.deliver(early);
    return { state, from, epoch: head.epoch };
  }

  /**
   * The history was reset (new epoch): start numbering from scratch. From `NO_EPOCH` this
   * is the stream's creation, after the read that found no row: every event in it came
   * after that read, so delivering from seq 1 is exact, and nothing is worth a warning.
   */
  private reset(state: StreamState, epoch: string): void {
    if (state.epoch !== NO_EPOCH) this.logger.warn({ msg: 'stream epoch changed', stream: state.stream });
    state.epoch = epoch;
    state.head = 0;
    state.known = 0;
    state.buffer = NOTHING_HELD;
  }

  /** Adds the contiguous run after `head` to `runs`; starts a fill if something is missing. */
  private drain(state: StreamState, runs: RoomRun[]): void {
    this.advance(state, runs);
    if (state.buffer.size > 0 || state.known > state.head) void this.fill(state);
  }

  /**
   * Moves `head` over the buffered events that follow it: they go into `runs` when given,
   * else out at once as one message.
   */
  private advance(state: StreamState, runs?: RoomRun[]): void {
    const run: EventEnvelope[] = [];
    for (let next = state.buffer.get(state.head + 1); next; next = state.buffer.get(state.head + 1)) {
      state.buffer.delete(next.seq);
      state.head = next.seq;
      run.push(next);
    }
    if (state.buffer.size === 0) state.buffer = NOTHING_HELD;
    if (run.length === 0) return;
    const ready = { room: streamRoom(state.stream), events: run };
    if (runs) runs.push(ready);
    else this.emitter?.([ready]);
  }

  private fill(state: StreamState): Promise<void> {
    state.filling ??= this.runFill(state).finally(() => {
      state.filling = undefined;
    });
    return state.filling;
  }

  private async runFill(state: StreamState): Promise<void> {
    try {
      for (;;) {
        const waiting = state.buffer.size > 0 ? Math.min(...state.buffer.keys()) - 1 : 0;
        const target = Math.max(waiting, state.known);
        if (target <= state.head) return;
        const from = state.head;
        const rows = await this.store.read(state.stream, from, Math.min(target, from + FILL_PAGE), FILL_PAGE);
        if (state.head !== from) continue; // delivered meanwhile; recompute
        if (rows.length === 0 || rows[0]?.seq !== from + 1) {
          // Purged by retention: nothing can fill it. Skip ahead; clients see the gap and reload.
          this.logger.warn({ msg: 'gap cannot be filled', stream: state.stream, from, target });
          state.head = rows[0] ? rows[0].seq - 1 : target;
        }
        for (const row of rows) if (row.seq > state.head) hold(state, row);
        this.advance(state);
      }
    } catch (error) {
      this.logger.warn({ msg: 'gap fill failed; the next head check retries', stream: state.stream, error: (error as Error).message });
    }
  }
}

/** Keeps an event that arrived ahead of its turn (see NOTHING_HELD). */
function hold(state: StreamState, event: EventEnvelope): void {
  if (state.buffer === NOTHING_HELD) state.buffer = new Map();
  state.buffer.set(event.seq, event);
}
