import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { APP_CONFIG, REDIS, REDIS_CONNECTIONS } from './app.constants';
import { AuthModule } from './auth/auth.module';
import { DashboardModule } from './dashboard/dashboard.module';
import type { AppRuntime, WebsocketOverrides } from './app.runtime';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { DEFAULT_EVENTS_OPTIONS } from './events/events-options.types';
import { ExecutionsModule } from './executions/executions.module';
import { HealthController } from './health/health.controller';
import { QueueModule } from './queue/queue.module';
import { executionsOptionsFrom, monitoringOptionsFrom, queueOptionsFrom } from './app.options';
import { ReadinessService } from './health/readiness.service';
import { MonitoringModule } from './monitoring/monitoring.module';
import { TasksModule } from './tasks/tasks.module';
import { UsersModule } from './users/users.module';
import { WebsocketModule } from './websocket/websocket.module';
import { DEFAULT_WEBSOCKET_OPTIONS, type WebsocketModuleOptions } from './websocket/websocket-options.types';

/** Applies overrides group by group, so a test can change one replay option and keep the rest. */
function withOverrides(
  options: WebsocketModuleOptions,
  overrides: WebsocketOverrides = {},
): WebsocketModuleOptions {
  const merged: Record<string, unknown> = { ...options };
  for (const [key, value] of Object.entries(overrides)) {
    const base = merged[key];
    merged[key] =
      typeof value === 'object' && !Array.isArray(value) && typeof base === 'object'
        ? { ...base, ...value }
        : value;
  }
  return merged as unknown as WebsocketModuleOptions;
}

/** What a host application adds to the backend: its own modules, beside the backend's. */
export interface AppModuleExtras {
  imports?: ModuleMetadata['imports'];
}

@Module({})
export class AppModule {
  /**
   * The whole backend, wired to connections the caller opened (and will close). The module
   * is global and re-exports the feature modules, so that any provider of the application,
   * the host's included, can inject every event service (`TaskEventsService`,
   * `QueueEventsService`, `ClaudeEventsService`, `SystemEventsService`, `EventTransactions`)
   * and the `JobHandlerRegistry` without importing their modules.
   */
  static register(runtime: AppRuntime, extras: AppModuleExtras = {}): DynamicModule {
    const { config } = runtime;
    // Re-exported: the executions module adds its job to the queue's worker.
    const queue = QueueModule.register(queueOptionsFrom(config, runtime.redis?.client));
    const executions = ExecutionsModule.register(executionsOptionsFrom(config));
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(runtime.database),
        AuthModule,
        EventsModule.forRoot({
          // One bound for both write paths: group commit gives up when a transaction would.
          publisher: { ...DEFAULT_EVENTS_OPTIONS.publisher, storeTimeoutMs: config.writes.timeoutMs },
          retention: {
            ...DEFAULT_EVENTS_OPTIONS.retention,
            maxAgeMs: config.events.retentionMaxAgeMs,
            maxPerStream: config.events.retentionMaxPerStream,
          },
          transactions: { ...DEFAULT_EVENTS_OPTIONS.transactions, timeoutMs: config.writes.timeoutMs },
        }),
        MonitoringModule.forRoot(monitoringOptionsFrom(config)),
        WebsocketModule.forRoot(
          withOverrides(
            {
              ...DEFAULT_WEBSOCKET_OPTIONS,
              allowedOrigins: config.allowedOrigins,
              multiNode: runtime.redis !== undefined,
              fanout: { mode: config.eventFanout, keyPrefix: config.redisKeyPrefix },
              maxSubscriptionsPerSocket: config.events.maxSubscriptionsPerSocket,
              replay: { ...DEFAULT_WEBSOCKET_OPTIONS.replay, maxEvents: config.events.replayMaxEvents },
              limits: {
                ...DEFAULT_WEBSOCKET_OPTIONS.limits,
                maxMessageBytes: config.limits.maxMessageBytes,
                messagesPerSecond: config.limits.messagesPerSecond,
                messageBurst: config.limits.messagesPerSecond * 2,
                maxConnectionsPerUser: config.limits.maxConnectionsPerUser,
                connectionsPerSecondPerIp: config.limits.connectionsPerSecondPerIp,
                connectionBurstPerIp: Math.ceil(config.limits.connectionsPerSecondPerIp * 2.5),
              },
              tokens: {
                refreshWarningMs: config.limits.refreshWarningMs,
                expiryGraceMs: config.limits.expiryGraceMs,
              },
              connections: {
                ...DEFAULT_WEBSOCKET_OPTIONS.connections,
                maxOutgoingBytes: config.connections.maxOutgoingBytes,
                drainSpreadMs: config.connections.drainSpreadMs,
              },
            },
            runtime.websocketOverrides,
          ),
        ),
        TasksModule,
        queue,
        executions,
        UsersModule,
        // With a JWKS the provider issues the tokens: a minted one would not verify.
        DashboardModule.register({ devTokens: config.env !== 'production' && !config.jwt.jwks }),
        ...(extras.imports ?? []),
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: REDIS, useValue: runtime.redis?.client },
        { provide: REDIS_CONNECTIONS, useValue: runtime.redis },
        ReadinessService,
      ],
      exports: [APP_CONFIG, REDIS, REDIS_CONNECTIONS, queue, TasksModule, executions],
    };
  }
}
