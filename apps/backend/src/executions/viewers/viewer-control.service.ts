import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  DEFAULT_TAIL_BYTES,
  ErrorCode,
  parseStream,
  StreamControlRequestSchema,
  type EventEnvelope,
  type StreamControlAck,
  type StreamControlRequest,
  type ViewerState,
} from '@taskdash/contract';
import type { MessageHandlersRegistry } from '../../websocket/connection/message-handlers.registry';
import type { StreamDispatcher, StreamState } from '../../websocket/delivery/stream-dispatcher.service';
import type { CommittedEvents } from '../../events/committed-events';
import { streamRoom } from '../../websocket/delivery/stream-room.util';
import type { AppNamespace, AppSocket } from '../../websocket/socket.types';
import type { OutputPositions } from './output-positions.store';
import type { SlowViewerGuard } from './slow-viewer.guard';
import type { ViewerCatchUp } from './viewer-catch-up';
import type { ViewerRegistry } from './viewer.registry';
import type { ViewerOptions } from './viewer-options.types';

/** Runs a socket's request after its earlier subscribe/unsubscribe requests (SubscriptionService's queue). */
export type SocketQueue = <T>(socket: AppSocket, task: () => Promise<T>) => Promise<T>;

const refuse = (code: ErrorCode, message: string): StreamControlAck => ({ ok: false, error: { code, message } });

/**
 * Per-viewer control of execution streams (`stream_control`: pause, resume, tail) and
 * slow-viewer protection. A paused viewer leaves the stream's room and the server keeps its
 * position; resume and tail catch it up from the store at a bounded rate and put it back in
 * the room with no gap and no duplicate (ViewerCatchUp); a viewer that stops reading loses
 * output, not memory, and is told what it lost (SlowViewerGuard).
 */
export class ViewerControlService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ViewerControlService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly handlers: MessageHandlersRegistry,
    private readonly committed: CommittedEvents,
    private readonly dispatcher: StreamDispatcher,
    private readonly positions: OutputPositions,
    private readonly registry: ViewerRegistry,
    private readonly catchUp: ViewerCatchUp,
    private readonly guard: SlowViewerGuard,
    private readonly sockets: {
      namespace: () => AppNamespace | undefined;
      queue: SocketQueue;
      /** Registers a hook for sockets going away (ConnectionManagerService's shared listener). */
      onDisconnect: (hook: (socket: AppSocket) => void) => void;
    },
    private readonly options: ViewerOptions,
  ) {
    handlers.register('stream_control', StreamControlRequestSchema, (socket, request) => this.control(socket, request));
  }

  onApplicationBootstrap(): void {
    const namespace = this.sockets.namespace();
    if (!namespace) {
      // Only without a socket server (no gateway): nothing to watch; stream_control still answers.
      this.logger.error('the /events namespace is not attached: slow execution viewers are not watched');
      return;
    }
    // After the fan-out's listeners (registered at gateway init): the dispatcher has emitted these.
    this.committed.subscribe((events) => this.observe(namespace, events));
    namespace.on('node:events', (events: EventEnvelope[]) => this.observe(namespace, events));
    this.sockets.onDisconnect((socket) => this.registry.forget(socket));
    this.timer = setInterval(() => this.tick(namespace), this.options.checkMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private observe(namespace: AppNamespace, events: readonly EventEnvelope[]): void {
    const emitted = this.guard.observe(events);
    if (emitted.size > 0) this.guard.check(namespace, emitted);
  }

  private tick(namespace: AppNamespace): void {
    try {
      this.guard.check(namespace);
      this.guard.sweep();
      this.prune();
    } catch (error) {
      this.logger.warn({ msg: 'viewer check failed', error: (error as Error).message });
    }
  }

  /** Drops viewers whose socket unsubscribed, or subscribed again (and so is back in the room). */
  private prune(): void {
    for (const [socket, stream, viewer] of this.registry.entries()) {
      if (viewer.mode === 'catching_up') continue; // its loop notices by itself
      const resubscribed = socket.rooms.has(streamRoom(stream));
      if (resubscribed || !socket.connected || !socket.data.subscriptions.has(stream)) this.registry.finish(socket, stream, false);
    }
  }

  private control(socket: AppSocket, request: StreamControlRequest): Promise<StreamControlAck> {
    if (parseStream(request.stream)?.kind !== 'execution') {
      return Promise.resolve(refuse(ErrorCode.InvalidStream, 'stream_control applies to execution:<id> streams'));
    }
    return this.sockets.queue(socket, async () => {
      if (!socket.data.subscriptions.has(request.stream)) return refuse(ErrorCode.InvalidMessage, 'not subscribed to this stream');
      switch (request.action) {
        case 'pause':
          return this.pause(socket, request.stream);
        case 'resume':
          return this.resume(socket, request.stream);
        case 'tail':
          return this.tail(socket, request.stream, request.bytes ?? DEFAULT_TAIL_BYTES);
      }
    });
  }

  /** Where the viewer stands: the last event it has (or will have been sent) and the state. */
  private async answer(stream: string, state: ViewerState, seq: number, offset?: number): Promise<StreamControlAck> {
    const head = this.dispatcher.state(stream);
    if (!head) return refuse(ErrorCode.Unavailable, 'stream not tracked; subscribe again');
    const at = offset ?? (await this.positions.endAt(stream, parseStream(stream)!.id, seq));
    return { ok: true, stream, state, position: { seq, epoch: head.epoch }, offset: at };
  }

  private async pause(socket: AppSocket, stream: string): Promise<StreamControlAck> {
    const viewer = this.registry.get(socket, stream);
    let seq: number;
    switch (viewer?.mode) {
      case undefined: {
        const state = this.registry.detach(socket, stream, (s) => ({ mode: 'paused', seq: s.head }));
        if (!state) return refuse(ErrorCode.Unavailable, 'stream not tracked; subscribe again');
        seq = state.head;
        break;
      }
      case 'paused':
        seq = viewer.seq;
        break;
      case 'catching_up':
        seq = viewer.sent;
        break;
      case 'skipping':
        seq = viewer.fromSeq - 1; // resume will then send the skipped events too
        break;
    }
    if (viewer?.mode !== 'paused') this.registry.replace(socket, stream, { mode: 'paused', seq });
    return this.answer(stream, 'paused', seq);
  }

  private async resume(socket: AppSocket, stream: string): Promise<StreamControlAck> {
    const viewer = this.registry.get(socket, stream);
    switch (viewer?.mode) {
      case undefined:
        return this.answer(stream, 'live', this.dispatcher.state(stream)?.head ?? 0);
      case 'catching_up':
        return this.answer(stream, 'catching_up', viewer.sent);
      case 'paused':
      case 'skipping': {
        const after = viewer.mode === 'paused' ? viewer.seq : viewer.fromSeq - 1;
        const ack = await this.answer(stream, 'catching_up', after);
        this.catchUp.start(socket, stream, after);
        return ack;
      }
    }
  }

  private async tail(socket: AppSocket, stream: string, bytes: number): Promise<StreamControlAck> {
    let state: StreamState | undefined = this.dispatcher.state(stream);
    if (!this.registry.get(socket, stream)) state = this.registry.detach(socket, stream, (s) => ({ mode: 'paused', seq: s.head }));
    if (!state) return refuse(ErrorCode.Unavailable, 'stream not tracked; subscribe again');
    const head = state.head;
    const executionId = parseStream(stream)!.id;
    const end = await this.positions.endAt(stream, executionId, head);
    const holding = await this.positions.eventHolding(stream, Math.max(0, end - bytes), head);
    const after = holding ? holding.seq - 1 : head;
    const ack = await this.answer(stream, 'catching_up', after, holding?.offset ?? end);
    this.catchUp.start(socket, stream, after);
    return ack;
  }
}
