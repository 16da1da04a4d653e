import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EVENTS_NAMESPACE,
  type ClientToServerEvents,
  type DisconnectNotice,
  type ErrorPayload,
  type EventEnvelope,
  type RefreshTokenAck,
  type ServerToClientEvents,
  type StreamPosition,
  type SubscribeRequest,
  type SubscribeResult,
  type UnsubscribeRequest,
} from '@taskdash/contract';
import { Server, type Namespace, type Socket } from 'socket.io';

type EventsSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

interface StoredStream {
  epoch: string;
  events: EventEnvelope[];
  /** Events up to this seq were purged by retention. */
  purgedThrough: number;
}

/**
 * A real Socket.IO server that speaks the `/events` protocol in the simplest way that is
 * still faithful: handshake auth with `{ code, message }` refusals, `user:<token>` joined
 * live on connect, subscribe with replay from a position, and the recovery failures.
 * Tests steer it through its public fields.
 */
export class FakeEventsServer {
  readonly subscribeRequests: SubscribeRequest[] = [];
  readonly unsubscribeRequests: UnsubscribeRequest[] = [];
  /** `auth.token` of every handshake, in order. */
  readonly handshakeTokens: unknown[] = [];
  /** Refuses a handshake by returning an error; the token doubles as the user id. */
  authorize: (token: unknown) => ErrorPayload | undefined = (token) =>
    typeof token === 'string' && token.length > 0
      ? undefined
      : { code: 'token_missing', message: 'no token' };
  /** Whether replayed events go out before or after the subscribe acknowledgement. */
  replayOrder: 'before-ack' | 'after-ack' = 'after-ack';
  /** More missed events than this make the answer `too_many_missed`. */
  maxReplay = 1000;
  /** Runs after the socket joined the streams and before it is answered (to inject live events). */
  beforeAnswer: (request: SubscribeRequest) => void = () => undefined;
  /** When true, subscribe messages are never acknowledged. */
  silent = false;
  /** The token of every `refresh_token`, in order. */
  readonly refreshTokens: string[] = [];
  /**
   * Answers `refresh_token` (undefined: no answer). By default a token of another user is
   * refused with `token_invalid` and the socket closed, as the real server does; otherwise
   * the new expiry is one hour from now.
   */
  refresh: (token: string, socket: EventsSocket) => RefreshTokenAck | undefined = (token, socket) => {
    if (token.split('#')[0] !== userOf(socket)) {
      setImmediate(() => this.disconnectWithReason(socket, { code: 'token_invalid', message: 'other subject', reconnect: false }));
      return { ok: false, error: { code: 'token_invalid', message: 'token subject does not match the connection' } };
    }
    return { ok: true, expiresAt: Date.now() + 3_600_000 };
  };

  private readonly streams = new Map<string, StoredStream>();

  private constructor(
    private readonly http: HttpServer,
    private readonly io: Server,
    readonly namespace: Namespace<ClientToServerEvents, ServerToClientEvents>,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeEventsServer> {
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'] });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const server = new FakeEventsServer(http, io, io.of(EVENTS_NAMESPACE), `http://127.0.0.1:${port}`);
    server.wire();
    return server;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => void this.io.close(() => resolve()));
  }

  /** Appends events to a stream's history without sending them (they are "missed"). */
  append(stream: string, count = 1): EventEnvelope[] {
    const stored = this.stored(stream);
    const added = Array.from({ length: count }, () => {
      const event: EventEnvelope = {
        id: randomUUID(),
        stream,
        seq: this.head(stream).seq + 1,
        epoch: stored.epoch,
        type: 'task.deleted',
        occurredAt: new Date().toISOString(),
        payload: { taskId: randomUUID() },
      };
      stored.events.push(event);
      return event;
    });
    return added;
  }

  /** Appends events and delivers them live to the stream's subscribers. */
  publish(stream: string, count = 1): EventEnvelope[] {
    const events = this.append(stream, count);
    this.namespace.to(stream).emit('events', events);
    return events;
  }

  /** Sends arbitrary events (duplicates, reordered) to the stream's subscribers. */
  emitRaw(stream: string, events: EventEnvelope[]): void {
    this.namespace.to(stream).emit('events', events);
  }

  /** Starts a new epoch, as a history reset on the real server does. */
  resetEpoch(stream: string): void {
    this.streams.set(stream, { epoch: randomUUID(), events: [], purgedThrough: 0 });
  }

  /** Drops history up to `seq`, as retention does; older positions get `history_expired`. */
  purge(stream: string, seq: number): void {
    const stored = this.stored(stream);
    stored.events = stored.events.filter((e) => e.seq > seq);
    stored.purgedThrough = seq;
  }

  head(stream: string): StreamPosition {
    const stored = this.stored(stream);
    return { seq: stored.events.at(-1)?.seq ?? stored.purgedThrough, epoch: stored.epoch };
  }

  sockets(): EventsSocket[] {
    return [...this.namespace.sockets.values()];
  }

  /** Sends `disconnect_reason`, then closes every socket from the server side. */
  drain(notice: DisconnectNotice): void {
    for (const socket of this.sockets()) this.disconnectWithReason(socket, notice);
  }

  /** Warns every socket that its token expires in `inMs` and is cut `graceMs` later. */
  warnExpiry(inMs = 1_000, graceMs = 1_000): { expiresAt: number; disconnectAt: number } {
    const expiresAt = Date.now() + inMs;
    const notice = { expiresAt, disconnectAt: expiresAt + graceMs };
    for (const socket of this.sockets()) socket.emit('token_expiring', notice);
    return notice;
  }

  disconnectWithReason(socket: EventsSocket, notice: DisconnectNotice): void {
    socket.emit('disconnect_reason', notice);
    socket.disconnect(true);
  }

  private stored(stream: string): StoredStream {
    let stored = this.streams.get(stream);
    if (!stored) {
      stored = { epoch: randomUUID(), events: [], purgedThrough: 0 };
      this.streams.set(stream, stored);
    }
    return stored;
  }

  private wire(): void {
    this.namespace.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as Record<string, unknown>).token;
      this.handshakeTokens.push(token);
      const refusal = this.authorize(token);
      if (!refusal) return next();
      next(Object.assign(new Error(refusal.message), { data: refusal }));
    });
    this.namespace.on('connection', (socket) => {
      void socket.join(`user:${userOf(socket)}`);
      socket.on('refresh_token', ({ token }, ack) => {
        this.refreshTokens.push(token);
        const answer = this.refresh(token, socket);
        if (answer) ack(answer);
      });
      socket.on('subscribe', (request, ack) => this.onSubscribe(socket, request, ack));
      socket.on('unsubscribe', (request, ack) => {
        this.unsubscribeRequests.push(request);
        for (const stream of request.streams) void socket.leave(stream);
        ack({ ok: true, streams: request.streams });
      });
    });
  }

  private onSubscribe(
    socket: EventsSocket,
    request: SubscribeRequest,
    ack: Parameters<ClientToServerEvents['subscribe']>[1],
  ): void {
    this.subscribeRequests.push(request);
    const replays: EventEnvelope[][] = [];
    const results = request.streams.map(({ stream, position }): SubscribeResult => {
      if (stream.startsWith('forbidden:'))
        return { stream, ok: false, error: { code: 'forbidden', message: 'no' } };
      void socket.join(stream);
      const head = this.head(stream);
      const answer = { stream, ok: true as const, position: head, replayed: 0 };
      if (!position) return { ...answer, recovered: false };
      if (position.epoch !== head.epoch) return { ...answer, recovered: false, reason: 'history_reset' };
      if (position.seq > head.seq) return { ...answer, recovered: false, reason: 'position_invalid' };
      if (position.seq < this.stored(stream).purgedThrough) {
        return { ...answer, recovered: false, reason: 'history_expired' };
      }
      if (head.seq - position.seq > this.maxReplay)
        return { ...answer, recovered: false, reason: 'too_many_missed' };
      const missed = this.stored(stream).events.filter((e) => e.seq > position.seq);
      if (missed.length > 0) replays.push(missed);
      return { ...answer, recovered: true, replayed: missed.length };
    });
    this.beforeAnswer(request);
    if (this.silent) return;
    const replay = (): void => replays.forEach((events) => socket.emit('events', events));
    if (this.replayOrder === 'before-ack') replay();
    ack({ ok: true, results });
    if (this.replayOrder === 'after-ack') replay();
  }
}

/** The handshake token doubles as the user id; `alice#2` is another token of `alice`. */
function userOf(socket: EventsSocket): string {
  return String((socket.handshake.auth as Record<string, unknown>).token).split('#')[0]!;
}
