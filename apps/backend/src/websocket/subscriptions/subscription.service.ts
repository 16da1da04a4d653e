import { Logger } from '@nestjs/common';
import {
  ErrorCode,
  type ErrorPayload,
  type StreamPosition,
  type SubscribeResult,
} from '@taskdash/contract';
import type { UserChannelsService } from '../channels/user-channels.service';
import type { StreamDispatcher, StreamState } from '../delivery/stream-dispatcher.service';
import { streamRoom } from '../delivery/stream-room.util';
import type { EventReplayService, ReplayDecision } from '../replay/event-replay.service';
import type { AppNamespace, AppSocket } from '../socket.types';
import { ReplayAdmission } from './replay-admission';

export interface StreamRequest {
  stream: string;
  position?: StreamPosition;
}

interface Planned {
  state: StreamState;
  decision: ReplayDecision;
}

/**
 * A socket's subscriptions: authorise, decide on replay, answer, then replay and join.
 * Requests of one socket run one after another (the socket's `queue`), so a subscribe and
 * an unsubscribe of the same stream can never interleave.
 */
export class SubscriptionService {
  private readonly logger = new Logger(SubscriptionService.name);
  private namespace: AppNamespace | undefined;
  private readonly admission: ReplayAdmission;

  constructor(
    private readonly channels: UserChannelsService,
    private readonly dispatcher: StreamDispatcher,
    private readonly replay: EventReplayService,
    private readonly maxSubscriptionsPerSocket: number,
    maxConcurrentReplays = 16,
  ) {
    this.admission = new ReplayAdmission(maxConcurrentReplays);
  }

  attach(namespace: AppNamespace): void {
    this.namespace = namespace;
  }

  /**
   * Runs `task` after the socket's earlier requests; failures never break the chain. The
   * chain is dropped once it has run out, so an idle socket holds no promise.
   */
  enqueue<T>(socket: AppSocket, task: () => Promise<T>): Promise<T> {
    const run = (socket.data.queue ?? Promise.resolve()).then(task);
    const settled = () => {
      if (socket.data.queue === tail) socket.data.queue = undefined;
    };
    const tail: Promise<void> = run.then(settled, settled);
    socket.data.queue = tail;
    return run;
  }

  /**
   * `enqueue` for a request of the client. One that waits behind the server's own join of
   * the socket to its `user:` stream would otherwise also wait for that join's batched head read.
   */
  request<T>(socket: AppSocket, task: () => Promise<T>): Promise<T> {
    if (socket.data.queue) this.dispatcher.hurry();
    return this.enqueue(socket, task);
  }

  /**
   * Subscribes to several streams. `answer` is called once every stream is decided and
   * before any replayed event is sent, so the client learns `recovered` first. Without
   * `answer` (a subscription the server makes on its own, which nobody is told the
   * position of) a stream that does not exist yet is not created (`StreamDispatcher.acquire`).
   */
  async subscribe(socket: AppSocket, requests: StreamRequest[], answer?: (results: SubscribeResult[]) => void): Promise<void> {
    // Resuming costs database reads; a reconnect storm is admitted a bounded number at a time.
    if (requests.some((r) => r.position)) return this.admission.run(() => this.subscribeNow(socket, requests, answer));
    return this.subscribeNow(socket, requests, answer);
  }

  private async subscribeNow(socket: AppSocket, requests: StreamRequest[], answer?: (results: SubscribeResult[]) => void): Promise<void> {
    const results: SubscribeResult[] = [];
    const planned: Planned[] = [];
    for (const request of requests) {
      const result = await this.plan(socket, request, planned, answer !== undefined);
      results.push(result);
    }
    answer?.(results);
    for (const { state, decision } of planned) {
      try {
        await this.replayAndJoin(socket, state, decision.from);
      } finally {
        this.release(state.stream);
      }
    }
  }

  async unsubscribe(socket: AppSocket, streams: string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const stream of streams) {
      if (!socket.data.subscriptions.delete(stream)) continue;
      await socket.leave(streamRoom(stream));
      removed.push(stream);
    }
    return removed;
  }

  /** Removes the socket from one stream and tells it why (permission change, lost replay). */
  async revoke(socket: AppSocket, stream: string, error: ErrorPayload): Promise<void> {
    socket.data.subscriptions.delete(stream);
    await socket.leave(streamRoom(stream));
    socket.emit('access_revoked', { stream, code: error.code, message: error.message });
  }

  /** Called by the adapter when a room disappears, so untracked streams cost nothing. */
  roomDeleted(stream: string): void {
    this.dispatcher.dropIfIdle(stream);
  }

  private async plan(socket: AppSocket, request: StreamRequest, planned: Planned[], positioned: boolean): Promise<SubscribeResult> {
    const { stream } = request;
    const fail = (code: ErrorPayload['code'], message: string): SubscribeResult => ({
      stream,
      ok: false,
      error: { code, message },
    });
    if (planned.some((p) => p.state.stream === stream)) return fail(ErrorCode.InvalidMessage, 'stream named twice');
    const access = await this.channels.authorize(socket.data.principal, stream);
    if (!access.allowed) {
      return access.code === ErrorCode.InvalidStream
        ? fail(access.code, 'malformed stream name')
        : fail(access.code, 'you may not see this stream');
    }
    const already = socket.data.subscriptions.has(stream);
    if (!already && socket.data.subscriptions.size >= this.maxSubscriptionsPerSocket) {
      return fail(ErrorCode.TooManySubscriptions, `at most ${this.maxSubscriptionsPerSocket} subscriptions per socket`);
    }
    const told = positioned || request.position !== undefined;
    const { state, from } = told ? { state: await this.dispatcher.acquire(stream), from: undefined } : await this.dispatcher.acquireUnpositioned(stream);
    try {
      // Nobody is told where an unpositioned subscription starts: it gets what was stored since it asked.
      const decision = from === undefined ? await this.replay.decide(state, request.position) : { recovered: false as const, from };
      // Re-subscribing restarts delivery from the requested position, so leave the room first.
      if (already) await socket.leave(streamRoom(stream));
      socket.data.subscriptions.add(stream);
      planned.push({ state, decision });
      // Live delivery starts after the head as it is now; a recovered replay sends what lies before.
      const live = state.head;
      return {
        stream,
        ok: true,
        position: { seq: live, epoch: state.epoch },
        recovered: decision.recovered,
        replayed: decision.recovered ? live - decision.from : 0,
        ...(!decision.recovered && decision.reason ? { reason: decision.reason } : {}),
      };
    } catch (error) {
      this.release(stream);
      throw error;
    }
  }

  private async replayAndJoin(socket: AppSocket, state: StreamState, from: number): Promise<void> {
    if (!socket.data.subscriptions.has(state.stream)) return;
    const outcome = await this.replay.run(socket, state, from, async () => {
      const access = await this.channels.authorize(socket.data.principal, state.stream);
      return access.allowed;
    });
    switch (outcome) {
      case 'joined':
      case 'gone':
        return;
      case 'permission_lost':
        return this.revoke(socket, state.stream, { code: ErrorCode.PermissionLost, message: 'access lost during replay' });
      case 'history_expired':
        this.logger.warn({ msg: 'history purged during replay', stream: state.stream });
        return this.revoke(socket, state.stream, { code: ErrorCode.HistoryExpired, message: 'history purged during replay; reload' });
    }
  }

  private release(stream: string): void {
    const room = this.namespace?.adapter.rooms.get(streamRoom(stream));
    this.dispatcher.release(stream, !room || room.size === 0);
  }
}
