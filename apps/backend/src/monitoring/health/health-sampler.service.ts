import { performance } from 'node:perf_hooks';
import type { EventPayloads } from '@taskdash/contract';
import type { EventLoopProbe } from './event-loop.probe';
import { withTimeout, type QueueDepthRegistry } from './queue-depth.registry';

export type HealthSnapshot = EventPayloads['system.health'];

/** A dependency's round trip: resolves when it answered. */
export type Ping = () => Promise<unknown>;

export interface HealthSamplerSources {
  nodeId: string;
  /** Sockets of this node's `/events` namespace. */
  sockets: () => number;
  /** The publisher's not-yet-stored events. */
  backlog: () => number;
  postgres: Ping;
  /** Absent without Redis. */
  redis: Ping | undefined;
  queues: QueueDepthRegistry;
}

/** Most a probe may take; a slower dependency is reported as down. */
const PROBE_TIMEOUT_MS = 2000;

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Takes one node's health sample. The synchronous part (event loop, memory, CPU, counts) is
 * what the node pays on its event loop and is reported as `sampleCostMs`; the probes run
 * concurrently and only wait on I/O.
 */
export class HealthSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(
    private readonly sources: HealthSamplerSources,
    private readonly eventLoop: EventLoopProbe,
  ) {}

  start(): void {
    this.eventLoop.start();
    this.lastCpu = process.cpuUsage();
    this.lastAt = performance.now();
  }

  stop(): void {
    this.eventLoop.stop();
  }

  async sample(): Promise<HealthSnapshot> {
    const started = performance.now();
    const intervalMs = started - this.lastAt;
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    this.lastAt = started;
    const memory = process.memoryUsage();
    const local = {
      nodeId: this.sources.nodeId,
      intervalMs: round(intervalMs),
      eventLoop: this.eventLoop.read(),
      memory: { heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, rssBytes: memory.rss },
      // cpuUsage is in microseconds; percent of one core over the interval.
      cpu: { percent: intervalMs > 0 ? round(((cpu.user + cpu.system) / 1000 / intervalMs) * 100) : 0 },
      sockets: this.sources.sockets(),
      publishBacklog: this.sources.backlog(),
    };
    const sampleCostMs = performance.now() - started;
    const [postgres, redis, queues] = await Promise.all([
      probe(this.sources.postgres),
      this.sources.redis ? probe(this.sources.redis) : Promise.resolve(undefined),
      this.sources.queues.collect(PROBE_TIMEOUT_MS),
    ]);
    return { ...local, postgres, ...(redis ? { redis } : {}), queues, sampleCostMs: round(sampleCostMs, 4) };
  }
}

async function probe(ping: Ping): Promise<{ ok: boolean; rttMs?: number }> {
  const started = performance.now();
  try {
    await withTimeout(ping(), PROBE_TIMEOUT_MS);
    return { ok: true, rttMs: round(performance.now() - started, 3) };
  } catch {
    return { ok: false };
  }
}
