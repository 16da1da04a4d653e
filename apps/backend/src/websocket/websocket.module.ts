import { Module } from '@nestjs/common';
import { REDIS_CONNECTIONS } from '../app.constants';
import type { RedisConnections } from '../app.runtime';
import { JwtVerifierService } from '../auth/jwt-verifier.service';
import { SessionStateService } from '../auth/session-state.service';
import { AccessRevocationService } from './channels/access-revocation.service';
import { ConnectionManagerService } from './connection/connection-manager.service';
import { MessageHandlersRegistry } from './connection/message-handlers.registry';
import { TokenLifecycleService } from './connection/token-lifecycle.service';
import { UserSockets } from './connection/user-sockets';
import { ConnectionLimiter } from './limits/connection-limiter';
import { MessageGuard } from './limits/message-guard';
import { TaskAccessModule } from '../auth/task-access.module';
import { UserChannelsService } from './channels/user-channels.service';
import { EventFanout } from './delivery/event-fanout.service';
import { StreamChannels } from './delivery/stream-channels';
import { StreamDispatcher } from './delivery/stream-dispatcher.service';
import { EventReplayService } from './replay/event-replay.service';
import { EventStore } from '../events/event-store';
import { CommittedEvents } from '../events/committed-events';
import { SubscriptionService } from './subscriptions/subscription.service';
import { WebsocketLifecycleService } from './websocket-lifecycle.service';
import { WebsocketObservers } from './websocket-observers';
import { WebsocketConfigurableModule, WEBSOCKET_OPTIONS } from './websocket.module-definition';
import { WebsocketGateway } from './websocket.gateway';
import type { WebsocketModuleOptions } from './websocket-options.types';

/**
 * Realtime delivery: the Socket.IO gateway, subscriptions, replay-then-join, the per-stream
 * dispatcher and connection management. Import it with `WebsocketModule.forRoot(options)`
 * (or `forRootAsync`) next to `EventsModule.forRoot`, whose store and `CommittedEvents` it
 * consumes; it publishes nothing itself.
 */
@Module({
  imports: [TaskAccessModule],
  providers: [
    {
      provide: StreamDispatcher,
      inject: [EventStore, CommittedEvents, WEBSOCKET_OPTIONS],
      useFactory: (store: EventStore, committed: CommittedEvents, options: WebsocketModuleOptions) =>
        new StreamDispatcher(store, committed, options.streamLingerMs),
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
      inject: [StreamDispatcher, CommittedEvents, WEBSOCKET_OPTIONS, REDIS_CONNECTIONS],
      useFactory: (dispatcher: StreamDispatcher, committed: CommittedEvents, options: WebsocketModuleOptions, redis: RedisConnections | undefined) =>
        new EventFanout(
          dispatcher,
          committed,
          options.multiNode,
          options.multiNode && redis && options.fanout.mode === 'interest'
            ? new StreamChannels(redis.pub, redis.events, options.fanout.keyPrefix)
            : undefined,
        ),
    },
    {
      provide: AccessRevocationService,
      inject: [SubscriptionService, UserChannelsService, UserSockets, REDIS_CONNECTIONS, WebsocketObservers, WEBSOCKET_OPTIONS, SessionStateService],
      useFactory: (
        subscriptions: SubscriptionService,
        channels: UserChannelsService,
        users: UserSockets,
        redis: RedisConnections | undefined,
        observers: WebsocketObservers,
        options: WebsocketModuleOptions,
        sessions: SessionStateService,
      ) =>
        new AccessRevocationService(
          subscriptions,
          channels,
          users,
          // PING on the adapter's publishing connection returns once Redis has every earlier PUBLISH.
          options.multiNode && redis ? () => redis.pub.ping() : undefined,
          (change, latencyMs) => observers.revocationApplied?.(change.kind, latencyMs),
          (userId, jti) => sessions.changed(userId, jti),
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
    WebsocketGateway,
    WebsocketLifecycleService,
  ],
  exports: [UserChannelsService, StreamDispatcher, EventFanout, EventReplayService, SubscriptionService, AccessRevocationService, ConnectionLimiter, MessageHandlersRegistry, ConnectionManagerService, WebsocketObservers],
})
export class WebsocketModule extends WebsocketConfigurableModule {}

