import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueDepthRegistry } from '../monitoring/health/queue-depth.registry';
import { QueueBridge } from './bridge/queue-bridge.service';
import { ExecutionWorker } from './execution-worker.service';
import { ExecutionsQueue } from './executions-queue.service';
import type { QueueModuleOptions } from './queue-options.types';
import { QUEUE_OPTIONS } from './queue.module-definition';

/**
 * Starts the worker and the bridge once the app is up, and stops them before the event
 * layer drains (`beforeApplicationShutdown` runs before its `onApplicationShutdown`), so
 * the last batch is stored and the lease is handed over.
 */
@Injectable()
export class QueueLifecycleService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Queues');

  private unregisterDepths: (() => void) | undefined;

  constructor(
    @Inject(QUEUE_OPTIONS) private readonly options: QueueModuleOptions,
    private readonly queue: ExecutionsQueue,
    private readonly depths: QueueDepthRegistry,
    @Optional() private readonly worker?: ExecutionWorker,
    @Optional() private readonly bridge?: QueueBridge,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.queue.enabled) {
      this.logger.warn('job queues are off: REDIS_URL is not set (no workers, no job events)');
      return;
    }
    this.worker?.start();
    this.bridge?.start();
    // Job counts for health samples (taskdash_queue_depth_jobs, the QueueBacklogHigh rule)
    // and BullMQ's own Prometheus export on /metrics. Every node reports the same queue.
    const bull = this.queue.bull;
    this.unregisterDepths = this.depths.register({
      depths: async () => {
        const counts = await bull.getJobCounts('waiting', 'active', 'delayed', 'failed');
        const count = (state: string) => counts[state] ?? 0;
        return [{ queue: bull.name, waiting: count('waiting'), active: count('active'), delayed: count('delayed'), failed: count('failed') }];
      },
      prometheus: () => bull.exportPrometheusMetrics(),
    });
    this.logger.log({
      msg: 'job queues are on',
      queue: this.queue.name,
      worker: this.worker ? 'in-process' : 'separate process (cli/worker.cli.js)',
      bridge: this.bridge ? 'competing for the lease' : 'off on this node',
      bridgeOptions: this.options.bridge,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unregisterDepths?.();
    await this.bridge?.stop();
    await this.worker?.close();
    // After the worker: its last events are in Redis and the next bridge publishes them.
    await this.queue.close();
  }
}
