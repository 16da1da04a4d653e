import {
  MAX_STREAMS_PER_REQUEST,
  type StreamPosition,
  type SubscribeAck,
  type SubscribeResult,
} from '@taskdash/contract';
import { request } from './ack-request.util';
import { chunk } from './chunk.util';
import type { ConnectionSupervisor } from './connection.supervisor';
import type { SubscriptionFailure } from './realtime-client.types';
import { RealtimeException } from './realtime.exception';
import type { SequencerOutcome, StreamSequencer } from './stream.sequencer';
import type { SubscriptionRegistry } from './subscription.registry';

/** Where the sender hands what the app must see. */
export interface SenderSink {
  dispatch(outcomes: readonly SequencerOutcome[]): void;
  subscriptionFailed(failure: SubscriptionFailure): void;
}

const MISSING_RESULT = {
  code: 'internal_error',
  message: 'The server sent no result for this stream',
} as const;

/**
 * The `subscribe` side of the wire: sends remembered streams with their positions (at
 * most MAX_STREAMS_PER_REQUEST per message), holds their events until the answer, feeds the
 * answers to the sequencer and the waiting callers, and bounds the wait for a replay.
 */
export class SubscriptionSender {
  private readonly replayTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly supervisor: ConnectionSupervisor,
    private readonly sequencer: StreamSequencer,
    private readonly subscriptions: SubscriptionRegistry,
    private readonly ackTimeoutMs: number,
    private readonly sink: SenderSink,
  ) {}

  /** Subscribes `streams` (already marked sent in the registry); never rejects. */
  async send(streams: readonly string[]): Promise<void> {
    await Promise.all(chunk(streams, MAX_STREAMS_PER_REQUEST).map((part) => this.sendChunk(part)));
  }

  /** Forgets a stream's position and stops waiting for its replay. */
  forget(stream: string): void {
    clearTimeout(this.replayTimers.get(stream));
    this.replayTimers.delete(stream);
    this.sequencer.forget(stream);
  }

  clearTimers(): void {
    for (const timer of this.replayTimers.values()) clearTimeout(timer);
    this.replayTimers.clear();
  }

  private async sendChunk(streams: readonly string[]): Promise<void> {
    const generation = this.supervisor.generation;
    const entries = streams.map((stream) => {
      const position = this.sequencer.position(stream);
      this.sequencer.hold(stream);
      return { stream, ...(position && { position: { seq: position.seq, epoch: position.epoch } }) };
    });
    let answer: SubscribeAck;
    try {
      answer = await request(this.supervisor.socket, 'subscribe', { streams: entries }, this.ackTimeoutMs);
    } catch (error) {
      // After a disconnect, the resubscribe on reconnect answers the waiters.
      if (generation !== this.supervisor.generation) return;
      return this.failUnanswered(streams, error);
    }
    if (generation !== this.supervisor.generation) return;
    const results = new Map(answer.ok ? answer.results.map((r) => [r.stream, r]) : []);
    for (const { stream, position } of entries) {
      const error = answer.ok ? MISSING_RESULT : answer.error;
      this.apply(results.get(stream) ?? { stream, ok: false, error }, position);
    }
  }

  private failUnanswered(streams: readonly string[], cause: unknown): void {
    const message = `subscribe was not acknowledged within ${this.ackTimeoutMs} ms`;
    const error = new RealtimeException('timeout', message, { cause });
    this.sink.dispatch(streams.flatMap((stream) => this.sequencer.release(stream)));
    for (const stream of this.subscriptions.fail(streams, error)) {
      this.sink.subscriptionFailed({ stream, error: error.toPayload() });
    }
  }

  private apply(result: SubscribeResult, requested: StreamPosition | undefined): void {
    const { stream } = result;
    if (this.subscriptions.isDropped(stream)) return this.forget(stream);
    const outcomes = result.ok
      ? this.sequencer.settle(stream, result, requested)
      : this.sequencer.release(stream);
    if (this.sequencer.isHolding(stream)) this.watchReplay(stream);
    const awaited = this.subscriptions.settle(result);
    if (!result.ok && !awaited) this.sink.subscriptionFailed({ stream, error: result.error });
    this.sink.dispatch(outcomes);
  }

  /** Bounds the wait for a promised replay, so a lost one becomes a reload, not a stall. */
  private watchReplay(stream: string): void {
    clearTimeout(this.replayTimers.get(stream));
    const timer = setTimeout(() => {
      this.replayTimers.delete(stream);
      this.sink.dispatch(this.sequencer.expire(stream));
    }, this.ackTimeoutMs);
    this.replayTimers.set(stream, timer);
  }
}
