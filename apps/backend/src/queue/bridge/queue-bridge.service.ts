import { Logger } from '@nestjs/common';
import type { QueueEventsService } from '../queue-events.service';
import type { ExecutionsQueue } from '../executions-queue.service';
import type { BridgeOptions } from '../queue-options.types';
import type { BridgeBatchService } from './bridge-batch.service';
import type { BridgeStateStore } from './bridge-state.store';
import { LeaseLostException } from './lease-lost.exception';
import type { QueueOverviewMetrics } from './queue-overview.metrics';

/**
 * Exactly one bridge per queue across all nodes. Every node with the bridge enabled
 * campaigns for a Redis lease; the holder extends it every third of its TTL and bridges
 * batch after batch; the others retry every fifth of the TTL, so a dead holder is
 * replaced within about 1.2 TTL. Stopping releases the lease for an immediate handover.
 */
export class QueueBridge {
  private readonly logger = new Logger(QueueBridge.name);
  private running: Promise<void> | undefined;
  private stopping = false;
  private leading = false;
  private leaseUntil = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private nextOverviewAt = 0;

  constructor(
    private readonly queue: ExecutionsQueue,
    private readonly state: BridgeStateStore,
    private readonly batches: BridgeBatchService,
    private readonly events: QueueEventsService,
    private readonly metrics: QueueOverviewMetrics,
    private readonly options: Pick<BridgeOptions, 'lockTtlMs' | 'overviewIntervalMs'>,
  ) {}

  /** Whether this node bridges the queue now. */
  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.running ??= this.campaign();
  }

  /** Finishes the batch in hand, then hands the lease over. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async campaign(): Promise<void> {
    while (!this.stopping) {
      try {
        if (await this.state.acquire()) await this.lead();
      } catch (error) {
        const lost = error instanceof LeaseLostException;
        this.logger[lost ? 'log' : 'warn']({ msg: lost ? 'lost the bridge lease' : 'bridge failed; resuming from the saved position', queue: this.queue.name, error: (error as Error).message });
      }
      await this.pause(this.options.lockTtlMs / 5);
    }
  }

  private async lead(): Promise<void> {
    this.leaseUntil = Date.now() + this.options.lockTtlMs;
    this.renewTimer = setInterval(() => void this.renew(), this.options.lockTtlMs / 3);
    this.leading = true;
    this.logger.log({ msg: 'bridging queue events', queue: this.queue.name, node: this.state.token });
    try {
      let position = await this.batches.resume();
      while (!this.stopping && Date.now() < this.leaseUntil) {
        position = await this.batches.next(position, () => this.stopping);
        await this.overview();
      }
    } finally {
      clearInterval(this.renewTimer);
      this.leading = false;
      if (this.stopping) await this.state.release().catch(() => undefined);
    }
  }

  /** Extends the lease; on refusal or silence the loop stops when the lease runs out. */
  private async renew(): Promise<void> {
    const started = Date.now();
    try {
      if (await this.state.renew()) this.leaseUntil = started + this.options.lockTtlMs;
      else this.leaseUntil = 0;
    } catch (error) {
      this.logger.warn({ msg: 'could not extend the bridge lease', queue: this.queue.name, error: (error as Error).message });
    }
  }

  private async overview(): Promise<void> {
    if (this.options.overviewIntervalMs <= 0 || Date.now() < this.nextOverviewAt) return;
    this.nextOverviewAt = Date.now() + this.options.overviewIntervalMs;
    try {
      const c = await this.queue.bull.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
      const counts = {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        failed: c.failed ?? 0,
        completed: c.completed ?? 0,
      };
      const payload = this.metrics.take(this.queue.name, counts);
      if (payload) await this.events.overview(payload);
    } catch (error) {
      this.logger.warn({ msg: 'queue overview failed', queue: this.queue.name, error: (error as Error).message });
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(), ms);
      this.wake = () => (clearTimeout(timer), resolve());
    });
  }
}
