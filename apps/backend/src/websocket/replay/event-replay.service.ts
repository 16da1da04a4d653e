import { ErrorCode, type RecoveryFailure, type StreamPosition } from '@taskdash/contract';
import type { StreamDispatcher, StreamState } from '../delivery/stream-dispatcher.service';
import { streamRoom } from '../delivery/stream-room.util';
import type { AppSocket } from '../socket.types';
import type { ReplayOptions } from '../websocket-options.types';
import type { EventStore } from '../../events/event-store';
import { replayThenJoin } from './replay-then-join.util';

export type ReplayDecision = { recovered: true; from: number } | { recovered: false; reason?: RecoveryFailure; from: number };

/** Asked before every replayed page: may this socket still see the stream? */
export type AccessCheck = () => Promise<boolean>;

export type ReplayOutcome = 'joined' | 'permission_lost' | 'history_expired' | 'gone';

/** Optional metrics hooks, set with `observe`. */
export interface ReplayObserver {
  /** A subscribe that named a position was answered: replayed, or refused with a reason. */
  decided(outcome: 'recovered' | RecoveryFailure): void;
  /** A page of `count` missed events was sent. */
  replayed(count: number): void;
  /** A replay ended (joined the room, or stopped early). */
  finished(outcome: ReplayOutcome): void;
}

/**
 * Exact catch-up for one socket on one stream. `decide` says whether the missed events can
 * be replayed at all (all of them or none, never part). `run` sends them from the database
 * in pages and joins the stream's room at the exact moment the socket has everything up to
 * the dispatcher's head; from then on the room delivers (`replayThenJoin`, which an
 * execution viewer's catch-up shares).
 */
export class EventReplayService {
  private observer: ReplayObserver | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly dispatcher: StreamDispatcher,
    private readonly options: ReplayOptions,
  ) {}

  /** Installs (or with `undefined` removes) the metrics hooks. */
  observe(observer: ReplayObserver | undefined): void {
    this.observer = observer;
  }

  async decide(state: StreamState, position: StreamPosition | undefined): Promise<ReplayDecision> {
    if (!position) return { recovered: false, from: state.head };
    if (position.epoch !== state.epoch) return this.refuse(state, ErrorCode.HistoryReset);
    // The client may come from a node that is ahead of this one: catch up with the database first.
    const db = await this.dispatcher.sync(state.stream);
    if (!db || position.seq > db.lastSeq) return this.refuse(state, ErrorCode.PositionInvalid);
    if (position.seq < db.firstSeq - 1) return this.refuse(state, ErrorCode.HistoryExpired);
    if (state.head - position.seq > this.options.maxEvents) return this.refuse(state, ErrorCode.TooManyMissed);
    this.observer?.decided('recovered');
    return { recovered: true, from: position.seq };
  }

  /** Sends `(from, head]` to the socket, then joins the room. */
  async run(socket: AppSocket, state: StreamState, from: number, mayStillSee: AccessCheck): Promise<ReplayOutcome> {
    const outcome = await this.sendThenJoin(socket, state, from, mayStillSee);
    this.observer?.finished(outcome);
    return outcome;
  }

  private sendThenJoin(socket: AppSocket, state: StreamState, from: number, mayStillSee: AccessCheck): Promise<ReplayOutcome> {
    return replayThenJoin<ReplayOutcome>(this.store, state, from, {
      pageSize: this.options.pageSize,
      // Unsubscribed or revoked meanwhile (the revocation already told the client).
      wanted: () => socket.connected && socket.data.subscriptions.has(state.stream),
      beforePage: async () => ((await mayStillSee()) ? undefined : 'permission_lost'),
      onHole: async () => 'history_expired',
      send: (events) => {
        socket.emit('events', events);
        this.observer?.replayed(events.length);
      },
      join: () => void socket.join(streamRoom(state.stream)),
    });
  }

  private refuse(state: StreamState, reason: RecoveryFailure): ReplayDecision {
    this.observer?.decided(reason);
    return { recovered: false, reason, from: state.head };
  }
}
