import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { QueueEventsService } from './queue-events.service';
import { BridgeBatchService } from './bridge/bridge-batch.service';
import { BridgeStateStore } from './bridge/bridge-state.store';
import { BullJobsStore } from './bridge/bull-jobs.store';
import { QueueBridge } from './bridge/queue-bridge.service';
import { QueueEventStream } from './bridge/queue-event-stream.store';
import { QueueOverviewMetrics } from './bridge/queue-overview.metrics';
import { ExecutionWorker } from './execution-worker.service';
import { ExecutionsQueue } from './executions-queue.service';
import { JobHandlerRegistry } from './job-handler.registry';
import { bullPrefix, QUEUE_OPTIONS } from './queue.constants';
import { QueueLifecycleService } from './queue-lifecycle.service';
import type { QueueModuleOptions } from './queue-options.types';


/** Wires the bridge of one queue from its parts (all plain classes, so tests can build one too). */
export function createQueueBridge(options: QueueModuleOptions & { redis: NonNullable<QueueModuleOptions['redis']> }, queue: ExecutionsQueue, events: QueueEventsService): QueueBridge {
  const { redis, keyPrefix, bridge } = options;
  const state = new BridgeStateStore(redis, keyPrefix, queue.name, bridge.lockTtlMs);
  const stream = new QueueEventStream(redis, `${bullPrefix(keyPrefix)}:${queue.name}:events`);
  const jobs = new BullJobsStore(redis, bullPrefix(keyPrefix), queue.name);
  const metrics = new QueueOverviewMetrics();
  const batches = new BridgeBatchService(queue.name, `${keyPrefix}:${queue.name}`, stream, state, jobs, events, metrics, bridge);
  return new QueueBridge(queue, state, batches, events, metrics, bridge);
}

/**
 * Job queues: the executions queue, its worker (unless it runs as its own process) and
 * the bridge of its events to the event streams. Without Redis the queue exists but is
 * off, and nothing else is created. Inject `ExecutionsQueue` to add jobs and
 * `JobHandlerRegistry` to add kinds of jobs.
 */
@Module({})
export class QueueModule {
  static register(options: QueueModuleOptions): DynamicModule {
    const { redis } = options;
    const running: Provider[] = redis
      ? [
          ...(options.worker.inProcess
            ? [{ provide: ExecutionWorker, inject: [JobHandlerRegistry], useFactory: (handlers: JobHandlerRegistry) => new ExecutionWorker({ redis, keyPrefix: options.keyPrefix, concurrency: options.worker.concurrency, lockMs: options.worker.lockMs }, handlers) }]
            : []),
          ...(options.bridge.enabled
            ? [{ provide: QueueBridge, inject: [ExecutionsQueue, QueueEventsService], useFactory: (queue: ExecutionsQueue, events: QueueEventsService) => createQueueBridge({ ...options, redis }, queue, events) }]
            : []),
        ]
      : [];
    return {
      module: QueueModule,
      providers: [
        { provide: QUEUE_OPTIONS, useValue: options },
        { provide: ExecutionsQueue, useFactory: () => new ExecutionsQueue(redis, options.keyPrefix) },
        QueueEventsService,
        JobHandlerRegistry,
        ...running,
        QueueLifecycleService,
      ],
      exports: [ExecutionsQueue, JobHandlerRegistry, QueueEventsService],
    };
  }
}
