import { Injectable, Logger } from '@nestjs/common';
import type { EventPayloads } from '@taskdash/contract';

export type QueueDepth = EventPayloads['system.health']['queues'][number];

/** Anything that can count its queue's jobs (the BullMQ queue module registers one per queue). */
export interface QueueDepthProvider {
  depths(): Promise<QueueDepth[]>;
  /** The queue's own Prometheus text (BullMQ's `exportPrometheusMetrics`), added to `/metrics`. */
  prometheus?(): Promise<string>;
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

  /** The providers' own Prometheus texts, merged; a provider that fails or is slow is left out. */
  async prometheus(timeoutMs: number): Promise<string> {
    const exporters = [...this.providers].filter((p) => p.prometheus !== undefined);
    if (exporters.length === 0) return '';
    const results = await Promise.allSettled(exporters.map((p) => withTimeout(p.prometheus!(), timeoutMs)));
    const texts: string[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') texts.push(result.value);
      else this.logger.warn({ msg: 'queue metrics export failed', error: (result.reason as Error).message });
    }
    return mergeExpositions(texts);
  }
}

/**
 * Joins Prometheus texts of several providers family by family: each family's HELP and TYPE
 * once, then all its samples, as the exposition format wants (two queues each exporting
 * `bullmq_job_count` must not give two HELP lines).
 */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const text of texts) {
    let current: { header: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        current = families.get(name) ?? { header: [], samples: [] };
        families.set(name, current);
        if (!current.header.some((h) => h.startsWith(`# ${meta[1]} `))) current.header.push(line);
      } else if (!line.startsWith('#') && current) {
        current.samples.push(line);
      }
    }
  }
  return [...families.values()].map((f) => [...f.header, ...f.samples].join('\n')).join('\n') + (families.size ? '\n' : '');
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
