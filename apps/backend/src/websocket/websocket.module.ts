import { Module } from '@nestjs/common';
import { REDIS_CONNECTIONS } from '../app.constants';
import type { RedisConnections } from '../app.runtime';
import { JwtVerifierService } from '../auth/jwt-verifier.service';
import { SessionStateService } from '../auth/session-state.service';
import { DATABASE, PRISMA, type DatabaseHandle } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { AccessRevocationService } from './channels/access-revocation.service';
import { ConnectionManagerService } from './connection/connection-manager.service';
import { MessageHandlersRegistry } from './connection/message-handlers.registry';
import { TokenLifecycleService } from './connection/token-lifecycle.service';
import { UserSockets } from './connection/user-sockets';
import { ConnectionLimiter } from './limits/connection-limiter';
import { MessageGuard } from './limits/message-guard';
import { TaskAccessModule } from '../tasks/task-access.module';
import { UserChannelsService } from './channels/user-channels.service';
import { EventFanout } from './delivery/event-fanout.service';
import { StreamDispatcher } from './delivery/stream-dispatcher.service';
import { TaskEventsService } from './events/task-events.service';
import { EventPublisher } from './persistence/event-publisher.service';
import { EventReplayService } from './persistence/event-replay.service';
import { EventStore } from './persistence/event-store';
import { RetentionService } from './persistence/retention.service';
import { databaseExecutor, type SqlExecutor } from './persistence/sql-executor';
import { SubscriptionService } from './subscriptions/subscription.service';
import { WebsocketLifecycleService } from './websocket-lifecycle.service';
import { WebsocketObservers } from './websocket-observers';
import { WebsocketConfigurableModule, WEBSOCKET_OPTIONS } from './websocket.module-definition';
import { WebsocketGateway } from './websocket.gateway';
import type { WebsocketModuleOptions } from './websocket-options.types';

const SQL = Symbol('WEBSOCKET_SQL');

/**
 * The real-time event layer. Import it with `WebsocketModule.forRoot(options)` (or
 * `forRootAsync`); inject `TaskEventsService` (and the other event services) by class in
 * any backend service. Needs the `PRISMA` provider from the app's database module.
 */
@Module({
  imports: [TaskAccessModule],
  providers: [
    {
      provide: SQL,
      inject: [PRISMA, { token: DATABASE, optional: true }],
      useFactory: (prisma: PrismaClient, database?: DatabaseHandle) => databaseExecutor(prisma, database),
    },
    { provide: EventStore, inject: [SQL], useFactory: (sql: SqlExecutor) => new EventStore(sql) },
    {
      provide: EventPublisher,
      inject: [EventStore, WEBSOCKET_OPTIONS],
      useFactory: (store: EventStore, options: WebsocketModuleOptions) => new EventPublisher(store, options.publisher),
    },
    {
      provide: StreamDispatcher,
      inject: [EventStore, WEBSOCKET_OPTIONS],
      useFactory: (store: EventStore, options: WebsocketModuleOptions) => new StreamDispatcher(store, options.streamLingerMs),
    },
    {
      provide: EventReplayService,
      inject: [EventStore, StreamDispatcher, WEBSOCKET_OPTIONS],
      useFactory: (store: EventStore, dispatcher: StreamDispatcher, options: WebsocketModuleOptions) =>
        new EventReplayService(store, dispatcher, options.replay),
    },
    {
      provide: SubscriptionService,
      inject: [UserChannelsService, StreamDispatcher, EventReplayService, WEBSOCKET_OPTIONS],
      useFactory: (
        channels: UserChannelsService,
        dispatcher: StreamDispatcher,
        replay: EventReplayService,
        options: WebsocketModuleOptions,
      ) => new SubscriptionService(channels, dispatcher, replay, options.maxSubscriptionsPerSocket, options.replay.maxConcurrent),
    },
    {
      provide: EventFanout,
      inject: [StreamDispatcher, WEBSOCKET_OPTIONS],
      useFactory: (dispatcher: StreamDispatcher, options: WebsocketModuleOptions) => new EventFanout(dispatcher, options.multiNode),
    },
    {
      provide: RetentionService,
      inject: [SQL, WEBSOCKET_OPTIONS],
      useFactory: (sql: SqlExecutor, options: WebsocketModuleOptions) =>
        new RetentionService(sql, options.retention),
    },
    {
      provide: AccessRevocationService,
      inject: [SubscriptionService, UserChannelsService, UserSockets, REDIS_CONNECTIONS, WebsocketObservers, WEBSOCKET_OPTIONS],
      useFactory: (
        subscriptions: SubscriptionService,
        channels: UserChannelsService,
        users: UserSockets,
        redis: RedisConnections | undefined,
        observers: WebsocketObservers,
        options: WebsocketModuleOptions,
      ) =>
        new AccessRevocationService(
          subscriptions,
          channels,
          users,
          // PING on the adapter's publishing connection returns once Redis has every earlier PUBLISH.
          options.multiNode && redis ? () => redis.pub.ping() : undefined,
          (change, latencyMs) => observers.revocationApplied?.(change.kind, latencyMs),
        ),
    },
    {
      provide: TokenLifecycleService,
      inject: [JwtVerifierService, SessionStateService, AccessRevocationService, WEBSOCKET_OPTIONS],
      useFactory: (
        verifier: JwtVerifierService,
        sessions: SessionStateService,
        access: AccessRevocationService,
        options: WebsocketModuleOptions,
      ) => new TokenLifecycleService(verifier, sessions, options.tokens, (socket) => void access.recheck(socket)),
    },
    { provide: UserSockets, useFactory: () => new UserSockets() },
    {
      provide: ConnectionLimiter,
      inject: [UserSockets, WEBSOCKET_OPTIONS],
      useFactory: (users: UserSockets, options: WebsocketModuleOptions) => new ConnectionLimiter(options.limits, users),
    },
    {
      provide: MessageGuard,
      inject: [WebsocketObservers, WEBSOCKET_OPTIONS],
      useFactory: (observers: WebsocketObservers, options: WebsocketModuleOptions) =>
        new MessageGuard(options.limits, (code) => observers.messageRefused?.(code)),
    },
    {
      provide: ConnectionManagerService,
      inject: [UserSockets, WebsocketObservers, WEBSOCKET_OPTIONS],
      useFactory: (users: UserSockets, observers: WebsocketObservers, options: WebsocketModuleOptions) =>
        new ConnectionManagerService(users, options.connections, () => observers.slowConsumer?.()),
    },
    MessageHandlersRegistry,
    WebsocketObservers,
    UserChannelsService,
    TaskEventsService,
    WebsocketGateway,
    WebsocketLifecycleService,
  ],
  exports: [TaskEventsService, EventPublisher, EventStore, UserChannelsService, RetentionService, StreamDispatcher, AccessRevocationService, ConnectionLimiter, MessageHandlersRegistry, ConnectionManagerService, WebsocketObservers],
})
export class WebsocketModule extends WebsocketConfigurableModule {}

