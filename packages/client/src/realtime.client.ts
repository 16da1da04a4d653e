import {
  ErrorCode,
  MAX_STREAMS_PER_REQUEST,
  type OutputSkippedNotice,
  type StreamControlAck,
  type StreamControlAction,
  type StreamPosition,
  type SubscribeResult,
  type TokenExpiringNotice,
} from '@taskdash/contract';
import { request } from './ack-request.util';
import { chunk } from './chunk.util';
import { ConnectionSupervisor, type RealtimeSocket } from './connection.supervisor';
import { isEnvelope } from './envelope.util';
import { ListenerRegistry } from './listener.registry';
import { resolveRealtimeClientOptions, type RealtimeClientOptions } from './realtime-client.options';
import type {
  ConnectionState,
  RealtimeClientEvents,
  StateChange,
  StreamListener,
  SubscribeOptions,
} from './realtime-client.types';
import { RealtimeException } from './realtime.exception';
import { StreamSequencer, type SequencerOutcome } from './stream.sequencer';
import { SubscriptionRegistry } from './subscription.registry';
import { SubscriptionSender } from './subscription.sender';
import { TokenRefresher } from './token.refresher';

/**
 * The real-time client of the task dashboard: one authenticated Socket.IO connection to
 * the `/events` namespace, subscriptions that survive reconnects, and events delivered
 * once each, in order, with a `reload` notice wherever some were missed. With a token
 * provider, the token of the live connection is renewed in place before it expires.
 *
 * @example
 * const client = new RealtimeClient({ url: 'https://api.example.com', token: () => auth.token() });
 * client.on('state', ({ state }) => banner.show(state));
 * client.on('reload', ({ stream }) => refetch(stream));
 * const stop = client.onStream(taskStream(id), (event) => store.apply(event));
 * client.connect();
 * const [result] = await client.subscribe(taskStream(id));
 */
export class RealtimeClient {
  private readonly supervisor: ConnectionSupervisor;
  private readonly sequencer: StreamSequencer;
  private readonly subscriptions = new SubscriptionRegistry();
  private readonly listeners: ListenerRegistry<RealtimeClientEvents>;
  private readonly streamListeners: ListenerRegistry<Record<string, StreamListener>>;
  private readonly sender: SubscriptionSender;
  private readonly refresher: TokenRefresher;
  private readonly ackTimeoutMs: number;

  constructor(options: RealtimeClientOptions) {
    const resolved = resolveRealtimeClientOptions(options);
    this.ackTimeoutMs = resolved.ackTimeoutMs;
    this.sequencer = new StreamSequencer(resolved.positionStore);
    this.listeners = new ListenerRegistry((error, event) => this.onListenerError(error, event));
    this.streamListeners = new ListenerRegistry((error) => this.onListenerError(error, 'event'));
    this.supervisor = new ConnectionSupervisor(resolved, {
      onState: (change) => this.onState(change),
      onOnline: () => this.resubscribe(),
      onOffline: () => this.onOffline(),
      onError: (error) => this.listeners.emit('error', error),
    });
    this.sender = new SubscriptionSender(
      this.supervisor,
      this.sequencer,
      this.subscriptions,
      this.ackTimeoutMs,
      {
        dispatch: (outcomes) => this.dispatch(outcomes),
        subscriptionFailed: (failure) => this.listeners.emit('subscription_failed', failure),
      },
    );
    this.refresher = new TokenRefresher(this.supervisor, resolved, {
      expiring: (expiry) => this.listeners.emit('token_expiring', expiry),
      refreshed: (refresh) => this.listeners.emit('token_refreshed', refresh),
      error: (error) => this.listeners.emit('error', error),
    });
    const { socket } = this.supervisor;
    socket.on('events', (batch) => this.onEvents(batch));
    socket.on('token_expiring', (notice) => this.onTokenExpiring(notice));
    socket.on('access_revoked', (notice) => this.onAccessRevoked(notice));
    socket.on('output_skipped', (notice) => this.onOutputSkipped(notice));
    socket.on('error', (error) => this.listeners.emit('error', RealtimeException.from(error)));
  }

  /**
   * The underlying socket.io-client socket, for diagnostics only (a wire tap, a debugger):
   * emitting on it or removing its listeners breaks the client.
   */
  get socket(): RealtimeSocket {
    return this.supervisor.socket;
  }

  /** The connection state; `on('state')` reports every change. */
  get state(): ConnectionState {
    return this.supervisor.state;
  }

  /** The streams the client remembers and subscribes again after every reconnect. */
  get streams(): string[] {
    return this.subscriptions.all();
  }

  /** The last position delivered for `stream`, if any. */
  position(stream: string): StreamPosition | undefined {
    const position = this.sequencer.position(stream);
    return position && { seq: position.seq, epoch: position.epoch };
  }

  /** Starts connecting (no-op unless `disconnected` or `failed`). */
  connect(): this {
    this.supervisor.connect();
    return this;
  }

  /**
   * Closes the connection and stops reconnecting. Pending `subscribe` calls reject with
   * `closed`; the remembered streams and positions stay for a later `connect()`.
   */
  close(): void {
    this.supervisor.close();
  }

  /**
   * Subscribes to one or more streams, from their last known positions, and remembers them
   * for every reconnect. Resolves with one result per stream (in the given order) once the
   * server answered, which waits for the connection if there is none yet. A refused stream
   * (`ok: false`) is not remembered. Rejects with `closed` when the client is `failed` or is
   * closed before the answer, and with `timeout` when the server does not answer in time.
   *
   * @example
   * const [task] = await client.subscribe(taskStream(id));
   * if (!task.ok) showError(task.error.code);
   *
   * `from` gives a starting position per stream, such as the `position` of a snapshot read
   * over HTTP: the server then replays exactly what followed the snapshot. A position older
   * than what the client already delivered is ignored, so nothing arrives twice.
   *
   * @example
   * const view = await api.getTask(id);
   * await client.subscribe(taskStream(id), { from: { [taskStream(id)]: view.position } });
   */
  async subscribe(
    streams: string | readonly string[],
    options: SubscribeOptions = {},
  ): Promise<SubscribeResult[]> {
    if (this.state === 'failed') {
      throw new RealtimeException('closed', 'The connection failed; call connect() first');
    }
    const list = distinct(streams);
    for (const stream of list) {
      const from = options.from?.[stream];
      if (from) this.sequencer.skipTo(stream, from);
    }
    const pending = this.subscriptions.want(list);
    if (this.supervisor.socket.connected) this.sendInBackground(this.subscriptions.takeUnsent(list));
    return Promise.all(pending);
  }

  /**
   * Unsubscribes from streams and forgets them and their positions. Events of these streams
   * still on the wire are dropped.
   */
  async unsubscribe(streams: string | readonly string[]): Promise<void> {
    const list = distinct(streams);
    this.subscriptions.drop(
      list,
      new RealtimeException('cancelled', 'Unsubscribed before the subscribe was answered'),
    );
    for (const stream of list) this.sender.forget(stream);
    const { socket } = this.supervisor;
    if (!socket.connected || list.length === 0) return;
    const generation = this.supervisor.generation;
    const parts = chunk(list, MAX_STREAMS_PER_REQUEST);
    const answers = await Promise.all(
      parts.map((part) =>
        request(socket, 'unsubscribe', { streams: part }, this.ackTimeoutMs).catch((error: unknown) => {
          // A lost connection unsubscribes everything on the server anyway.
          if (generation !== this.supervisor.generation) return undefined;
          throw new RealtimeException('timeout', 'unsubscribe was not acknowledged in time', {
            cause: error,
          });
        }),
      ),
    );
    const refused = answers.find((answer) => answer && !answer.ok);
    if (refused && !refused.ok) throw RealtimeException.from(refused.error);
  }

  /**
   * Pauses, resumes or tails this connection's delivery of an `execution:<id>` stream it is
   * subscribed to (`stream_control`). The answer's `offset` is the log offset where the next
   * `execution.output` starts. After `tail` the client continues from the answer's position,
   * so the events the server skips are not taken for a gap. The server forgets pauses when
   * the connection is lost: after `resumed` every stream is live again.
   *
   * @example
   * const ack = await client.control(executionStream(id), 'tail', { bytes: 16_384 });
   * if (ack.ok) terminal.restartAt(ack.offset);
   */
  async control(
    stream: string,
    action: StreamControlAction,
    options: { bytes?: number } = {},
  ): Promise<StreamControlAck> {
    const { socket } = this.supervisor;
    if (!socket.connected) throw new RealtimeException('closed', 'Not connected');
    const generation = this.supervisor.generation;
    const payload = { stream, action, ...(options.bytes !== undefined && { bytes: options.bytes }) };
    const answer = await request(socket, 'stream_control', payload, this.ackTimeoutMs).catch(
      (error: unknown) => {
        throw new RealtimeException('timeout', 'stream_control was not acknowledged in time', {
          cause: error,
        });
      },
    );
    if (answer.ok && action === 'tail' && generation === this.supervisor.generation) {
      this.sequencer.skipTo(stream, answer.position);
    }
    return answer;
  }

  /**
   * Adds a listener for a client event; returns a function that removes it.
   *
   * @example
   * const off = client.on('reload', ({ stream, reason }) => refetch(stream, reason));
   */
  on<K extends keyof RealtimeClientEvents>(event: K, listener: RealtimeClientEvents[K]): () => void {
    return this.listeners.add(event, listener);
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof RealtimeClientEvents>(event: K, listener: RealtimeClientEvents[K]): void {
    this.listeners.remove(event, listener);
  }

  /**
   * Adds a listener for the events of one stream, in `seq` order; returns a function that
   * removes it. Listening does not subscribe: call `subscribe` too.
   */
  onStream(stream: string, listener: StreamListener): () => void {
    return this.streamListeners.add(stream, listener);
  }

  private async resubscribe(): Promise<void> {
    await this.sender.send(this.subscriptions.takeUnsent(this.subscriptions.all()));
  }

  private sendInBackground(streams: readonly string[]): void {
    this.sender
      .send(streams)
      .catch((error: unknown) =>
        this.listeners.emit(
          'error',
          new RealtimeException('internal_error', String(error), { cause: error }),
        ),
      );
  }

  private onEvents(batch: unknown): void {
    if (!Array.isArray(batch)) return this.reportInvalid();
    const outcomes: SequencerOutcome[] = [];
    for (const event of batch as unknown[]) {
      if (!isEnvelope(event)) {
        this.reportInvalid();
        continue;
      }
      if (!this.subscriptions.isDropped(event.stream)) outcomes.push(...this.sequencer.accept(event));
    }
    this.dispatch(outcomes);
  }

  private dispatch(outcomes: readonly SequencerOutcome[]): void {
    for (const outcome of outcomes) {
      if (outcome.kind === 'reload') {
        this.listeners.emit('reload', outcome.notice);
      } else {
        this.listeners.emit('event', outcome.event);
        this.streamListeners.emit(outcome.event.stream, outcome.event);
      }
    }
  }

  private onAccessRevoked(notice: { stream: string; code: ErrorCode; message: string }): void {
    const { stream } = notice;
    if (notice.code === ErrorCode.HistoryExpired) {
      // The replay ran into purged history, access itself is intact. Subscribing again from
      // the same position makes the server answer `history_expired`, which becomes a reload.
      if (this.supervisor.socket.connected) this.sendInBackground(this.subscriptions.takeUnsent([stream]));
      return;
    }
    this.subscriptions.drop([stream], new RealtimeException('cancelled', 'Access to the stream was revoked'));
    this.sender.forget(stream);
    this.listeners.emit('access_revoked', { stream, code: notice.code, message: notice.message });
  }

  private onOutputSkipped(notice: OutputSkippedNotice): void {
    const position = this.sequencer.position(notice.stream);
    // The server continues after `toSeq`; what it skipped is fetched over HTTP by the app.
    if (position && Number.isInteger(notice.toSeq)) {
      this.sequencer.skipTo(notice.stream, { seq: notice.toSeq, epoch: position.epoch });
    }
    this.listeners.emit('output_skipped', notice);
  }

  private onTokenExpiring(notice: unknown): void {
    if (!isExpiringNotice(notice)) {
      this.listeners.emit(
        'error',
        new RealtimeException('invalid_message', 'Ignored a malformed token_expiring'),
      );
      return;
    }
    this.refresher.onExpiring(notice);
  }

  private onState(change: StateChange): void {
    if (change.state === 'failed' || change.state === 'disconnected') {
      this.sender.clearTimers();
      const reason = change.error ? `: ${change.error.message}` : '';
      this.subscriptions.rejectAll(
        new RealtimeException('closed', `The connection is ${change.state}${reason}`),
      );
    }
    this.listeners.emit('state', change);
  }

  private onOffline(): void {
    this.refresher.stop();
    this.subscriptions.offline();
    this.sequencer.reset();
    this.sender.clearTimers();
  }

  private reportInvalid(): void {
    this.listeners.emit(
      'error',
      new RealtimeException('invalid_message', 'Ignored a malformed events message'),
    );
  }

  private onListenerError(error: unknown, event: string): void {
    if (event === 'error' || !this.listeners.has('error')) {
      // Nobody else can handle it: rethrow outside our call stack so it is not lost.
      setTimeout(() => {
        throw error;
      });
      return;
    }
    this.listeners.emit(
      'error',
      new RealtimeException('internal_error', `A '${event}' listener threw`, { cause: error }),
    );
  }
}

function isExpiringNotice(value: unknown): value is TokenExpiringNotice {
  if (typeof value !== 'object' || value === null) return false;
  const { expiresAt, disconnectAt } = value as Record<string, unknown>;
  return Number.isFinite(expiresAt) && Number.isFinite(disconnectAt);
}

function distinct(streams: string | readonly string[]): string[] {
  return typeof streams === 'string' ? [streams] : [...new Set(streams)];
}
