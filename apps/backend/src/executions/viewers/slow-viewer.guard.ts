import { Logger } from '@nestjs/common';
import { ErrorCode, parseStream, type EventEnvelope } from '@taskdash/contract';
import { outgoingBytes } from '../../websocket/connection/outgoing-buffer.util';
import type { StreamDispatcher } from '../../websocket/delivery/stream-dispatcher.service';
import { streamRoom } from '../../websocket/delivery/stream-room.util';
import type { AppNamespace, AppSocket } from '../../websocket/socket.types';
import type { WebsocketObservers } from '../../websocket/websocket-observers';
import { OutputEndTracker } from './output-end.tracker';
import type { OutputPositions } from './output-positions.store';
import type { Viewer, ViewerRegistry } from './viewer.registry';
import type { ViewerOptions } from './viewer-options.types';

type Skipping = Extract<Viewer, { mode: 'skipping' }>;

/** A stream counts as active (its room is checked) this long after its last event, in ms. */
const ACTIVE_MS = 2000;

/**
 * Keeps one slow viewer from costing anyone else. Engine.IO queues without bound
 * (engine.io#420), so after every batch of execution events, and on a timer, the sockets in
 * each active execution room are measured; one whose unsent bytes pass the limit leaves the
 * room (the producer and the other viewers go on at full speed, and its queue stops
 * growing). Once it has drained to a quarter of the limit it is told exactly which events
 * and output bytes it skipped (`output_skipped`) and rejoins live; the bytes are one HTTP
 * request away.
 */
export class SlowViewerGuard {
  private readonly logger = new Logger(SlowViewerGuard.name);
  private readonly tracker = new OutputEndTracker();
  private readonly active = new Map<string, number>();

  constructor(
    private readonly dispatcher: StreamDispatcher,
    private readonly positions: OutputPositions,
    private readonly registry: ViewerRegistry,
    private readonly options: ViewerOptions,
    private readonly observers?: WebsocketObservers,
  ) {}

  /**
   * Every event this node receives (own publisher and other nodes), in seq order per stream,
   * right after they were emitted to the rooms. Returns the execution streams among them,
   * each with a generous estimate of the bytes just emitted to its room.
   */
  observe(events: readonly EventEnvelope[]): Map<string, number> {
    this.tracker.observe(events);
    const emitted = new Map<string, number>();
    for (const event of events) {
      if (!event.stream.startsWith('execution:')) continue;
      const data = (event.payload as { data?: unknown }).data;
      // Twice the characters: multi-byte text and JSON escapes take more bytes than characters.
      emitted.set(event.stream, (emitted.get(event.stream) ?? 0) + 512 + (typeof data === 'string' ? data.length * 2 : 0));
    }
    const now = Date.now();
    for (const stream of emitted.keys()) this.active.set(stream, now);
    return emitted;
  }

  /**
   * Measures the sockets in the rooms of `streams` (stream → bytes just emitted to it; by
   * default every active stream, nothing just emitted). What was queued before the latest
   * emission is what counts: a reader that keeps up holds one emission at most, briefly.
   */
  check(namespace: AppNamespace, streams: ReadonlyMap<string, number> = this.activeStreams()): void {
    for (const [stream, justEmitted] of streams) {
      for (const id of namespace.adapter.rooms.get(streamRoom(stream)) ?? []) {
        const socket = namespace.sockets.get(id);
        if (socket && outgoingBytes(socket) - justEmitted > this.options.maxBufferBytes) this.skip(socket, stream);
      }
    }
  }

  /** Rejoins skipped viewers that drained. */
  sweep(): void {
    for (const [socket, stream, viewer] of this.registry.entries()) {
      if (viewer.mode === 'skipping' && outgoingBytes(socket) <= this.options.maxBufferBytes / 4) this.rejoin(socket, stream, viewer);
    }
  }

  private activeStreams(): Map<string, number> {
    const cutoff = Date.now() - ACTIVE_MS;
    for (const [stream, at] of this.active) if (at < cutoff) this.active.delete(stream);
    return new Map([...this.active.keys()].map((stream) => [stream, 0]));
  }

  private skip(socket: AppSocket, stream: string): void {
    let viewer: Skipping | undefined;
    const state = this.registry.detach(socket, stream, (s) => (viewer = { mode: 'skipping', fromSeq: s.head + 1, from: undefined }));
    if (!state || !viewer) return;
    this.tracker.follow(stream, state.head);
    viewer.from = this.tracker.endAt(stream, state.head);
    this.observers?.viewerSkipped?.();
    this.logger.warn({ msg: 'slow viewer: skipping its output until it drains', socket: socket.id, stream, fromSeq: viewer.fromSeq, bytes: outgoingBytes(socket) });
    if (viewer.from === undefined) void this.lookUp(stream, state.head).then((end) => (viewer!.from ??= end));
  }

  /** The output end at `seq` from the store; also teaches the tracker. */
  private async lookUp(stream: string, seq: number): Promise<number | undefined> {
    try {
      const end = await this.positions.endAt(stream, parseStream(stream)?.id ?? '', seq);
      this.tracker.learn(stream, seq, end);
      return end;
    } catch (error) {
      this.logger.warn({ msg: 'output position lookup failed', stream, error: (error as Error).message });
      return undefined;
    }
  }

  private rejoin(socket: AppSocket, stream: string, viewer: Skipping): void {
    const state = this.dispatcher.state(stream);
    if (!state || viewer.from === undefined) return;
    const toSeq = state.head;
    const to = toSeq < viewer.fromSeq ? viewer.from : this.tracker.endAt(stream, toSeq);
    if (to === undefined) {
      // The tracker cannot say (it missed events): follow again from the head, learn its end, retry.
      this.tracker.unfollow(stream);
      this.tracker.follow(stream, toSeq);
      void this.lookUp(stream, toSeq);
      return;
    }
    if (toSeq >= viewer.fromSeq) {
      socket.emit('output_skipped', { stream, fromSeq: viewer.fromSeq, toSeq, from: viewer.from, to, reason: ErrorCode.SlowConsumer });
    }
    // Same tick as reading the head: the socket has everything but the announced range.
    this.registry.finish(socket, stream, true);
    if (![...this.registry.entries()].some(([, s, v]) => s === stream && v.mode === 'skipping')) this.tracker.unfollow(stream);
  }
}
