import { Inject, Logger } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import {
  EVENTS_NAMESPACE,
  ErrorCode,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  userStream,
  type ErrorPayload,
} from '@taskdash/contract';
import type { z } from 'zod';
import { JwtVerifierService } from '../auth/jwt-verifier.service';
import { createSocketAuthMiddleware } from './auth/socket-auth.middleware';
import { EventFanout } from './delivery/event-fanout.service';
import { roomStream } from './delivery/stream-room.util';
import { EventPublisher } from './persistence/event-publisher.service';
import type { AppNamespace, AppSocket } from './socket.types';
import { SubscriptionService } from './subscriptions/subscription.service';
import { WEBSOCKET_OPTIONS } from './websocket.module-definition';
import type { WebsocketModuleOptions } from './websocket-options.types';

const KNOWN_MESSAGES = new Set(['subscribe', 'unsubscribe']);

type Ack = (answer: unknown) => void;

/**
 * The Socket.IO edge, kept thin: authenticate (middleware), join the user's own stream,
 * validate each message against the contract and hand it to `SubscriptionService`. A bad
 * message gets `{ ok: false, error: { code, message } }` (or an `error` event when it has
 * no acknowledgement callback); nothing a client sends can throw out of a handler.
 */
@WebSocketGateway({ namespace: EVENTS_NAMESPACE })
export class WebsocketGateway implements OnGatewayInit<AppNamespace>, OnGatewayConnection<AppSocket> {
  private readonly logger = new Logger(WebsocketGateway.name);

  constructor(
    private readonly verifier: JwtVerifierService,
    private readonly subscriptions: SubscriptionService,
    private readonly fanout: EventFanout,
    private readonly publisher: EventPublisher,
    @Inject(WEBSOCKET_OPTIONS) private readonly options: WebsocketModuleOptions,
  ) {}

  afterInit(namespace: AppNamespace): void {
    namespace.use(createSocketAuthMiddleware(this.verifier, this.options.allowedOrigins));
    this.subscriptions.attach(namespace);
    this.fanout.attach(namespace, this.publisher);
    namespace.adapter.on('delete-room', (room: string) => {
      const stream = roomStream(room);
      if (stream) this.subscriptions.roomDeleted(stream);
    });
  }

  handleConnection(socket: AppSocket): void {
    // The contract types these handlers, but what arrives is whatever the client sent.
    socket.on('subscribe', (payload, ack) => this.handle(socket, 'subscribe', payload as unknown, ack as unknown));
    socket.on('unsubscribe', (payload, ack) => this.handle(socket, 'unsubscribe', payload as unknown, ack as unknown));
    socket.onAny((event: unknown) => {
      if (typeof event !== 'string' || !KNOWN_MESSAGES.has(event)) {
        this.fail(socket, String(event).slice(0, 64), undefined, { code: ErrorCode.InvalidMessage, message: 'unknown message' });
      }
    });
    const own = userStream(socket.data.principal.userId);
    void this.subscriptions
      .enqueue(socket, () => this.subscriptions.subscribe(socket, [{ stream: own }], () => undefined))
      .catch((error: Error) => this.logger.warn({ msg: 'joining user stream failed', error: error.message }));
  }

  private handle(socket: AppSocket, event: 'subscribe' | 'unsubscribe', payload: unknown, ack: unknown): void {
    const reply = typeof ack === 'function' ? (ack as Ack) : undefined;
    const run = event === 'subscribe' ? this.subscribe(socket, payload, reply) : this.unsubscribe(socket, payload, reply);
    run.catch((error: unknown) => {
      this.logger.error({ msg: `${event} failed`, socket: socket.id, error: (error as Error).message });
      this.fail(socket, event, reply, { code: ErrorCode.Internal, message: 'internal error' });
    });
  }

  private async subscribe(socket: AppSocket, payload: unknown, reply: Ack | undefined): Promise<void> {
    const request = this.parse(SubscribeRequestSchema, payload);
    if (!request) return this.fail(socket, 'subscribe', reply, invalid);
    await this.subscriptions.enqueue(socket, () =>
      this.subscriptions.subscribe(socket, request.streams, (results) => reply?.({ ok: true, results })),
    );
  }

  private async unsubscribe(socket: AppSocket, payload: unknown, reply: Ack | undefined): Promise<void> {
    const request = this.parse(UnsubscribeRequestSchema, payload);
    if (!request) return this.fail(socket, 'unsubscribe', reply, invalid);
    const streams = await this.subscriptions.enqueue(socket, () => this.subscriptions.unsubscribe(socket, request.streams));
    reply?.({ ok: true, streams });
  }

  private parse<S extends z.ZodType>(schema: S, payload: unknown): z.infer<S> | undefined {
    const result = schema.safeParse(payload);
    return result.success ? result.data : undefined;
  }

  private fail(socket: AppSocket, event: string, reply: Ack | undefined, error: ErrorPayload): void {
    if (reply) reply({ ok: false, error });
    else socket.emit('error', { ...error, event });
  }
}

const invalid: ErrorPayload = { code: ErrorCode.InvalidMessage, message: 'message does not match the contract' };
