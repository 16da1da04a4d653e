import { Injectable, Logger } from '@nestjs/common';
import type { EventPayloads } from '@taskdash/contract';

export type QueueDepth = EventPayloads['system.health']['queues'][number];

/** Anything that can count its queue's jobs (the BullMQ queue module registers one per queue). */
export interface QueueDepthProvider {
  depths(): Promise<QueueDepth[]>;
}

const MAX_QUEUES = 100;

/**
 * Where queue modules plug their depth counts into health samples, without the monitoring
 * module knowing about BullMQ. Register in `onModuleInit` and keep the returned function to
 * unregister on shutdown.
 *
 * @example
 * constructor(private readonly depths: QueueDepthRegistry) {}
 * onModuleInit() {
 *   this.unregister = this.depths.register({
 *     depths: async () => {
 *       const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
 *       return [{ queue: queue.name, waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 }];
 *     },
 *   });
 * }
 */
@Injectable()
export class QueueDepthRegistry {
  private readonly logger = new Logger(QueueDepthRegistry.name);
  private readonly providers = new Set<QueueDepthProvider>();

  register(provider: QueueDepthProvider): () => void {
    this.providers.add(provider);
    return () => this.providers.delete(provider);
  }

  /** Every provider's depths; a provider that fails or is slower than `timeoutMs` is left out. */
  async collect(timeoutMs: number): Promise<QueueDepth[]> {
    if (this.providers.size === 0) return [];
    const results = await Promise.allSettled(
      [...this.providers].map((p) => withTimeout(p.depths(), timeoutMs)),
    );
    const depths: QueueDepth[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') depths.push(...result.value);
      else this.logger.warn({ msg: 'queue depth provider failed', error: (result.reason as Error).message });
    }
    return depths.slice(0, MAX_QUEUES);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
