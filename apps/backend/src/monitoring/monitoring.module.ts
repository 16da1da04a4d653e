import { Global, Module } from '@nestjs/common';
import { hashTagged, type RedisClient } from '../redis/redis-client';
import { Registry } from 'prom-client';
import { REDIS } from '../app.constants';
import { DATABASE, type DatabaseHandle } from '../database/database.types';
import { EventFanout } from '../websocket/delivery/event-fanout.service';
import { SystemEventsService } from './system-events.service';
import { EventPublisher } from '../events/event-publisher.service';
import { EventTransactions } from '../events/event-transactions.service';
import { AlertEngine } from './alerts/alert-engine.service';
import { AlertStore } from './alerts/alert.store';
import { AlertsController } from './alerts/alerts.controller';
import { MemoryAlertStateStore } from './alerts/memory-alert-state.store';
import { RedisAlertStateStore } from './alerts/redis-alert-state.store';
import { EventLoopProbe } from './health/event-loop.probe';
import { HealthMonitorService } from './health/health-monitor.service';
import { HealthSampler } from './health/health-sampler.service';
import { QueueDepthRegistry } from './health/queue-depth.registry';
import { METRICS_REGISTRY } from './metrics.constants';
import { MetricsController } from './metrics.controller';
import { MonitoringLifecycleService } from './monitoring-lifecycle.service';
import type { MonitoringOptions } from './monitoring-options.types';
import { MONITORING_OPTIONS, MonitoringConfigurableModule } from './monitoring.module-definition';
import { collectProcessMetrics } from './process-metrics.util';
import { WebsocketMetricsService } from './websocket-metrics.service';


/** One registry per app (tests run several apps in one process), default process metrics included. */
function createRegistry(options: MonitoringOptions): Registry {
  const registry = new Registry();
  if (options.metricsEnabled) collectProcessMetrics(registry);
  return registry;
}

/**
 * Health sampling and broadcast, de-duplicated alerts and Prometheus metrics. Global, so any
 * module can inject `WebsocketMetricsService` (to count what it sees), `QueueDepthRegistry`
 * (to report queue depths) and `SystemEventsService`. Needs the websocket module's publisher.
 * Import it once with `MonitoringModule.forRoot(options)`.
 */
@Global()
@Module({
  controllers: [MetricsController, AlertsController],
  providers: [
    { provide: METRICS_REGISTRY, inject: [MONITORING_OPTIONS], useFactory: createRegistry },
    WebsocketMetricsService,
    QueueDepthRegistry,
    SystemEventsService,
    AlertStore,
    {
      provide: AlertEngine,
      inject: [
        { token: REDIS, optional: true },
        AlertStore,
        SystemEventsService,
        WebsocketMetricsService,
        EventTransactions,
        MONITORING_OPTIONS,
      ],
      useFactory: (
        redis: RedisClient | undefined,
        store: AlertStore,
        events: SystemEventsService,
        metrics: WebsocketMetricsService,
        transactions: EventTransactions,
        options: MonitoringOptions,
      ) =>
        new AlertEngine(
          // Without Redis there is one node, and its memory is the whole truth.
          redis
            ? new RedisAlertStateStore(redis, hashTagged(options.redisKeyPrefix, 'alerts'))
            : new MemoryAlertStateStore(),
          store,
          events,
          options.metricsEnabled ? metrics : undefined,
          { nodeId: options.nodeId, ...options.alerts },
          (work) => transactions.run(work),
        ),
    },
    {
      provide: HealthMonitorService,
      inject: [
        { token: REDIS, optional: true },
        DATABASE,
        EventPublisher,
        QueueDepthRegistry,
        SystemEventsService,
        AlertEngine,
        WebsocketMetricsService,
        EventFanout,
        MONITORING_OPTIONS,
      ],
      useFactory: (
        redis: RedisClient | undefined,
        database: DatabaseHandle,
        publisher: EventPublisher,
        queues: QueueDepthRegistry,
        events: SystemEventsService,
        alerts: AlertEngine,
        metrics: WebsocketMetricsService,
        fanout: EventFanout,
        options: MonitoringOptions,
      ) => {
        const sampler = new HealthSampler(
          {
            nodeId: options.nodeId,
            // Resolved when sampling, after the gateway attached the namespace to the fan-out.
            sockets: () => fanout.attachedNamespace?.sockets.size ?? 0,
            backlog: () => publisher.backlog,
            postgres: () => database.prisma.$queryRawUnsafe('SELECT 1'),
            redis: redis ? () => redis.ping() : undefined,
            queues,
          },
          new EventLoopProbe(),
        );
        return new HealthMonitorService(
          sampler,
          events,
          alerts,
          options.metricsEnabled ? metrics : undefined,
          options.healthIntervalMs,
        );
      },
    },
    MonitoringLifecycleService,
  ],
  exports: [WebsocketMetricsService, QueueDepthRegistry, SystemEventsService, METRICS_REGISTRY],
})
export class MonitoringModule extends MonitoringConfigurableModule {}
