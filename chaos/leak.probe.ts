import type { ChaosEnvironment, ChaosNode } from './chaos-environment';
import { sleep } from './chaos.util';
import { NodeInspector, type HeapCount } from './node.inspector';
import { scrape, total } from './node.metrics';

/** What a node holds, read from its /metrics and (after a full GC) its heap. */
export interface NodeFigures {
  connections: number;
  subscriptions: number;
  rooms: number;
  /** Handles and requests keeping the event loop alive (sockets, servers, pipes…; the database pools' left out). */
  handles: number;
  /** Timers and immediates keeping it alive (the database pools' idle timers left out). */
  timers: number;
  emitters: number;
  listeners: number;
  /** Streams whose delivery order the node tracks (a bounded cache: reported, not required back). */
  tracked: number;
  heapUsedMb: number;
  rssMb: number;
  /** Emitters and listeners by constructor name (to say which kind stayed behind). */
  emitterTypes: HeapCount['byType'];
  /** Active resources by kind. */
  resourceTypes: HeapCount['resourceTypes'];
  /** Open connections of the database pool (it grows and shrinks with the load: reported only). */
  dbConnections: number;
}

/** Figures that must return to the baseline exactly once the churned sockets are gone. */
export const EXACT = ['connections', 'subscriptions', 'rooms', 'handles', 'emitters', 'listeners'] as const;
const GAUGES = ['connections', 'subscriptions', 'rooms'] as const;
/**
 * Timers at rest differ from one instant to the next by this much: polling loops (the
 * bridge's campaign and batches, BullMQ's worker) hold a timer or not depending on the
 * instant. Timers left behind by the churn would grow with its cycles.
 */
export const TIMER_SLACK = 2;

/** Whether a node is back to its baseline. */
export const isBack = (now: NodeFigures, baseline: NodeFigures): boolean =>
  same(now, baseline, EXACT) && Math.abs(now.timers - baseline.timers) <= TIMER_SLACK;

const same = (a: NodeFigures, b: NodeFigures, keys: readonly (keyof NodeFigures)[]) => keys.every((key) => a[key] === b[key]);
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/**
 * Reads every node's figures for the leak check of the churn: the socket gauges from GET
 * /metrics and, through each node's inspector, after a forced full GC: heap in use, every
 * EventEmitter and its listeners, and the active handles and timers. The nodes must run
 * with `--inspect=127.0.0.1:0`.
 */
export class LeakProbe {
  private constructor(
    private readonly env: ChaosEnvironment,
    private readonly inspectors: NodeInspector[],
  ) {}

  static async open(env: ChaosEnvironment): Promise<LeakProbe> {
    return new LeakProbe(env, await Promise.all(env.nodes.map((node) => NodeInspector.open(node.backend.output))));
  }

  /**
   * The baseline: the figures once those that must come back exactly held still for
   * `quietMs` (bounded by `timeoutMs`).
   */
  async settled(quietMs: number, timeoutMs: number): Promise<NodeFigures[]> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.full();
    let since = Date.now();
    while (Date.now() - since < quietMs && Date.now() < deadline) {
      await sleep(500);
      const now = await this.full();
      if (!now.every((figures, i) => same(figures, last[i]!, EXACT))) since = Date.now();
      last = now;
    }
    return last;
  }

  /** The figures once they are back to `baseline` (exact ones equal, timers within TIMER_SLACK), or the last ones read at `timeoutMs`. */
  async backTo(baseline: NodeFigures[], timeoutMs: number): Promise<NodeFigures[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const gauges = await this.gauges();
      if (gauges.every((figures, i) => same(figures, baseline[i]!, GAUGES)) || Date.now() >= deadline) {
        const figures = await this.full();
        if (figures.every((f, i) => isBack(f, baseline[i]!)) || Date.now() >= deadline) return figures;
      }
      await sleep(500);
    }
  }

  /** The kinds of emitter and resource that differ between two readings, e.g. `Socket:+2/+14,Timeout:-1`. */
  static emitterChanges(before: NodeFigures, after: NodeFigures): string {
    const types = new Set([...Object.keys(before.emitterTypes), ...Object.keys(after.emitterTypes)]);
    const changes: string[] = [];
    for (const type of types) {
      const [e0, l0] = before.emitterTypes[type] ?? [0, 0];
      const [e1, l1] = after.emitterTypes[type] ?? [0, 0];
      if (e0 !== e1 || l0 !== l1) changes.push(`${type}:${e1 - e0 >= 0 ? '+' : ''}${e1 - e0}/${l1 - l0 >= 0 ? '+' : ''}${l1 - l0}`);
    }
    for (const type of new Set([...Object.keys(before.resourceTypes), ...Object.keys(after.resourceTypes)])) {
      const change = (after.resourceTypes[type] ?? 0) - (before.resourceTypes[type] ?? 0);
      if (change !== 0) changes.push(`${type}:${change > 0 ? '+' : ''}${change}`);
    }
    return changes.join(',') || 'none';
  }

  close(): void {
    this.inspectors.forEach((inspector) => inspector.close());
  }

  private async full(): Promise<NodeFigures[]> {
    return Promise.all(
      this.env.nodes.map(async (node, i) => {
        const inspector = this.inspectors[i]!;
        await inspector.collectGarbage();
        const heapUsedMb = mb(await inspector.heapUsedBytes());
        const heap = await inspector.count([this.env.pgProxy.port]);
        const { emitters, listeners, byType, resourceTypes, dbConnections } = heap;
        const timers = (resourceTypes.Timeout ?? 0) + (resourceTypes.Immediate ?? 0);
        const handles = heap.activeResources - timers;
        return { ...(await this.read(node)), heapUsedMb, emitters, listeners, emitterTypes: byType, handles, timers, resourceTypes, dbConnections };
      }),
    );
  }

  private gauges(): Promise<NodeFigures[]> {
    return Promise.all(this.env.nodes.map((node) => this.read(node)));
  }

  private async read(node: ChaosNode): Promise<NodeFigures> {
    const metrics = await scrape(node.backend.url);
    return {
      connections: total(metrics, 'taskdash_ws_connections'),
      subscriptions: total(metrics, 'taskdash_ws_subscriptions'),
      rooms: total(metrics, 'taskdash_ws_stream_rooms'),
      handles: 0,
      timers: 0,
      tracked: total(metrics, 'taskdash_streams_tracked'),
      rssMb: mb(total(metrics, 'process_resident_memory_bytes')),
      emitters: 0,
      listeners: 0,
      heapUsedMb: 0,
      emitterTypes: {},
      resourceTypes: {},
      dbConnections: 0,
    };
  }
}
