import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import {
  EVENTS_NAMESPACE,
  ErrorCode,
  RefreshTokenRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  userStream,
  type ErrorPayload,
} from '@taskdash/contract';
import { JwtVerifierService } from '../auth/jwt-verifier.service';
import { SessionStateService } from '../auth/session-state.service';
import { createClosedNamespaceMiddleware, createSocketAuthMiddleware } from './auth/socket-auth.middleware';
import { AccessRevocationService } from './channels/access-revocation.service';
import { ConnectionManagerService } from './connection/connection-manager.service';
import { MessageHandlersRegistry } from './connection/message-handlers.registry';
import { TokenLifecycleService } from './connection/token-lifecycle.service';
import { EventFanout } from './delivery/event-fanout.service';
import { roomStream } from './delivery/stream-room.util';
import { ConnectionLimiter } from './limits/connection-limiter';
import { MessageGuard } from './limits/message-guard';
import { installTransportAdmission } from './limits/transport-admission';
import { AppIoAdapter } from './socket-io.adapter';
import type { AppNamespace, AppSocket } from './socket.types';
import { SubscriptionService } from './subscriptions/subscription.service';
import { WEBSOCKET_OPTIONS } from './websocket.module-definition';
import { WebsocketObservers } from './websocket-observers';
import type { WebsocketModuleOptions } from './websocket-options.types';

const INVALID: ErrorPayload = { code: ErrorCode.InvalidMessage, message: 'message does not match the contract' };

type Reply = (answer: unknown) => void;

/**
 * The Socket.IO edge, kept thin: admit (middleware), join the user's own rooms, put limits
 * in front of every message, validate it against the contract and hand it to a service.
 * A bad message gets `{ ok: false, error: { code, message } }` (or an `error` event when it
 * has no acknowledgement callback); nothing a client sends can throw out of a handler.
 *
 * A node holds thousands of idle sockets, so what each one costs is kept small: one
 * middleware per socket, a shared disconnect listener (ConnectionManagerService), no Nest
 * `@SubscribeMessage` handlers or `handleDisconnect` (AppIoAdapter binds neither, saving
 * Nest's per-socket RxJS chain), and per-socket state made only when first needed.
 */
@WebSocketGateway({ namespace: EVENTS_NAMESPACE })
export class WebsocketGateway implements OnGatewayInit<AppNamespace>, OnGatewayConnection<AppSocket>, OnApplicationBootstrap {
  private readonly logger = new Logger(WebsocketGateway.name);
  private foreignServer = false;

  constructor(
    private readonly verifier: JwtVerifierService,
    private readonly sessions: SessionStateService,
    private readonly subscriptions: SubscriptionService,
    private readonly access: AccessRevocationService,
    private readonly tokens: TokenLifecycleService,
    private readonly limiter: ConnectionLimiter,
    private readonly guard: MessageGuard,
    private readonly fanout: EventFanout,
    private readonly handlers: MessageHandlersRegistry,
    private readonly connections: ConnectionManagerService,
    private readonly observers: WebsocketObservers,
    @Inject(WEBSOCKET_OPTIONS) private readonly options: WebsocketModuleOptions,
  ) {
    handlers.register('subscribe', SubscribeRequestSchema, (socket, request) =>
      new Promise((resolve, reject) => {
        this.subscriptions
          .request(socket, () => this.subscriptions.subscribe(socket, request.streams, (results) => resolve({ ok: true, results })))
          .catch(reject);
      }),
    );
    handlers.register('unsubscribe', UnsubscribeRequestSchema, async (socket, request) => ({
      ok: true,
      streams: await this.subscriptions.request(socket, () => this.subscriptions.unsubscribe(socket, request.streams)),
    }));
    handlers.register('refresh_token', RefreshTokenRequestSchema, (socket, request) => this.tokens.refresh(socket, request));
  }

  afterInit(namespace: AppNamespace): void {
    // Nest's default adapter would serve without our transports, Origin and size settings,
    // and with several nodes without the Redis adapter: events would stay on their node.
    // Nest swallows a throw from here into an unhandled error, so the start-up fails later,
    // in onApplicationBootstrap, where init() rejects with the reason.
    if (!AppIoAdapter.made(namespace.server)) {
      this.foreignServer = true;
      return;
    }
    // The edge of the whole server, not only of this namespace: the per-address handshake
    // limit at the transport, and every other namespace (the root `/`) closed.
    const rejected = (code: ErrorCode) => this.observers.handshakeRejected?.(code);
    installTransportAdmission(namespace.server, this.limiter, () => rejected(ErrorCode.RateLimited));
    namespace.server.of('/').use(createClosedNamespaceMiddleware(rejected));
    namespace.use(
      createSocketAuthMiddleware({
        verifier: this.verifier,
        sessions: this.sessions,
        limiter: this.limiter,
        allowedOrigins: this.options.allowedOrigins,
        isDraining: () => this.connections.isDraining,
        onRejected: (code) => this.observers.handshakeRejected?.(code),
      }),
    );
    this.connections.attach(namespace);
    this.connections.onDisconnect((socket, reason) => {
      this.tokens.stop(socket);
      this.observers.socketDisconnected?.(reason, socket.data.disconnectCode);
    });
    this.subscriptions.attach(namespace);
    this.access.attach(namespace, this.options.multiNode);
    this.fanout.attach(namespace);
    namespace.adapter.on('delete-room', (room: string) => {
      const stream = roomStream(room);
      if (stream) this.subscriptions.roomDeleted(stream);
    });
  }

  handleConnection(socket: AppSocket): void {
    this.connections.connected(socket);
    this.tokens.start(socket);
    // Every client message passes the limits, then ends here; nothing listens for client
    // events by name (`onAny` would run before the middleware, and need a listener array).
    socket.use((packet) => {
      if (this.guard.admit(socket, packet)) this.handle(socket, packet[0], packet[1], packet[2]);
    });
    const { userId } = socket.data.principal;
    // No answer: nobody is told its position, so a first-time user's stream is read, not created.
    void this.subscriptions
      .enqueue(socket, () => this.subscriptions.subscribe(socket, [{ stream: userStream(userId) }]))
      .catch((error: Error) => this.logger.warn({ msg: 'joining user stream failed', error: error.message }));
  }

  onApplicationBootstrap(): void {
    if (this.foreignServer) {
      throw new Error('the Socket.IO server was not made by AppIoAdapter: call configureApp(app, runtime) (app.factory) before app.init()');
    }
  }

  private handle(socket: AppSocket, event: unknown, payload: unknown, ack: unknown): void {
    const name = String(event).slice(0, 64);
    const reply = typeof ack === 'function' ? (ack as Reply) : (answer: unknown) => this.replyAsEvent(socket, name, answer);
    const handler = typeof event === 'string' ? this.handlers.get(event) : undefined;
    if (!handler) return reply({ ok: false, error: { code: ErrorCode.InvalidMessage, message: 'unknown message' } });
    const request = handler.schema.safeParse(payload);
    if (!request.success) return reply({ ok: false, error: INVALID });
    handler.handle(socket, request.data).then(reply, (error: unknown) => {
      this.logger.error({ msg: `${name} failed`, socket: socket.id, error: (error as Error).message });
      reply({ ok: false, error: { code: ErrorCode.Internal, message: 'internal error' } });
    });
  }

  /** Without an acknowledgement callback only failures are worth telling. */
  private replyAsEvent(socket: AppSocket, event: string, answer: unknown): void {
    const error = (answer as { ok?: boolean; error?: ErrorPayload }).error;
    if (error) socket.emit('error', { ...error, event });
  }
}
