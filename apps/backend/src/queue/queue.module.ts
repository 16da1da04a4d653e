import { Module } from '@nestjs/common';
import { WebsocketMetricsService } from '../monitoring/websocket-metrics.service';
import { QueueEventsService } from './queue-events.service';
import { QueueAdminController } from './admin/queue-admin.controller';
import { QueueAdminService } from './admin/queue-admin.service';
import { BridgeBatchService } from './bridge/bridge-batch.service';
import { BridgeStateStore } from './bridge/bridge-state.store';
import { BullJobsStore } from './bridge/bull-jobs.store';
import { QueueBridge } from './bridge/queue-bridge.service';
import { QueueEventStream } from './bridge/queue-event-stream.store';
import { QueueOverviewMetrics } from './bridge/queue-overview.metrics';
import { ExecutionWorker } from './execution-worker.service';
import { ExecutionsQueue } from './executions-queue.service';
import { JobHandlerRegistry } from './job-handler.registry';
import { bullPrefix } from './queue.constants';
import { QueueLifecycleService } from './queue-lifecycle.service';
import type { QueueModuleOptions } from './queue-options.types';
import { QUEUE_OPTIONS, QueueConfigurableModule } from './queue.module-definition';


/** Wires the bridge of one queue from its parts (all plain classes, so tests can build one too). */
export function createQueueBridge(
  options: QueueModuleOptions & { redis: NonNullable<QueueModuleOptions['redis']> },
  queue: ExecutionsQueue,
  events: QueueEventsService,
  observeLag?: (lagMs: number) => void,
): QueueBridge {
  const { redis, keyPrefix, bridge } = options;
  const state = new BridgeStateStore(redis, keyPrefix, queue.name, bridge.lockTtlMs);
  const stream = new QueueEventStream(redis, `${bullPrefix(keyPrefix)}:${queue.name}:events`);
  const jobs = new BullJobsStore(redis, bullPrefix(keyPrefix), queue.name);
  const metrics = new QueueOverviewMetrics();
  const batches = new BridgeBatchService(queue.name, `${keyPrefix}:${queue.name}`, stream, state, jobs, events, metrics, bridge, observeLag);
  return new QueueBridge(queue, state, batches, events, metrics, bridge);
}

/**
 * Job queues: the executions queue, its worker (unless it runs as its own process) and
 * the bridge of its events to the event streams. Without Redis the queue exists but is
 * off, and nothing else is created. Inject `ExecutionsQueue` to add jobs and
 * `JobHandlerRegistry` to add kinds of jobs. Import it with `QueueModule.register(options)`.
 *
 * The worker and the bridge are optional: their factories read the options token and resolve
 * to `undefined` when the options turn them off, which `QueueLifecycleService` (it injects
 * them `@Optional()`) reads as absent. So the module's shape does not depend on the options,
 * as it could not once they come from `registerAsync`.
 */
@Module({
  controllers: [QueueAdminController],
  providers: [
    QueueAdminService,
    {
      provide: ExecutionsQueue,
      inject: [QUEUE_OPTIONS],
      useFactory: (options: QueueModuleOptions) => new ExecutionsQueue(options.redis, options.keyPrefix),
    },
    QueueEventsService,
    JobHandlerRegistry,
    {
      provide: ExecutionWorker,
      inject: [QUEUE_OPTIONS, JobHandlerRegistry],
      useFactory: (options: QueueModuleOptions, handlers: JobHandlerRegistry): ExecutionWorker | undefined => {
        const { redis, keyPrefix, worker } = options;
        // Off without Redis, and when the worker runs as its own process (cli/worker.cli.js).
        if (!redis || !worker.inProcess) return undefined;
        return new ExecutionWorker({ redis, keyPrefix, concurrency: worker.concurrency, lockMs: worker.lockMs }, handlers);
      },
    },
    {
      provide: QueueBridge,
      inject: [QUEUE_OPTIONS, ExecutionsQueue, QueueEventsService, WebsocketMetricsService],
      useFactory: (
        options: QueueModuleOptions,
        queue: ExecutionsQueue,
        events: QueueEventsService,
        metrics: WebsocketMetricsService,
      ): QueueBridge | undefined => {
        const { redis } = options;
        // Off without Redis, and on nodes that do not compete for the bridge lease.
        if (!redis || !options.bridge.enabled) return undefined;
        return createQueueBridge({ ...options, redis }, queue, events, (lagMs) => metrics.queueBridgeLag(lagMs));
      },
    },
    QueueLifecycleService,
  ],
  exports: [ExecutionsQueue, JobHandlerRegistry, QueueEventsService],
})
export class QueueModule extends QueueConfigurableModule {}
