import { Logger } from '@nestjs/common';
import type { SystemEventsService } from '../system-events.service';
import type { AlertEngine } from '../alerts/alert-engine.service';
import type { WebsocketMetricsService } from '../websocket-metrics.service';
import type { HealthSampler, HealthSnapshot } from './health-sampler.service';

/**
 * Runs this node's sampling loop: sample, update the gauges, publish `system.health`, feed
 * the alert rules. The next sample is scheduled when one finishes, so a slow probe can
 * never make samples pile up.
 */
export class HealthMonitorService {
  private readonly logger = new Logger(HealthMonitorService.name);
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly sampler: HealthSampler,
    private readonly events: Pick<SystemEventsService, 'health'>,
    private readonly alerts: AlertEngine,
    private readonly metrics: WebsocketMetricsService | undefined,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.running) return;
    this.running = true;
    this.sampler.start();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.sampler.stop();
  }

  /** One sample, published and evaluated; failures are logged, never thrown. */
  async tick(): Promise<HealthSnapshot> {
    const snapshot = await this.sampler.sample();
    this.metrics?.healthSampled(snapshot);
    const [published, evaluated] = await Promise.allSettled([
      this.events.health(snapshot),
      this.alerts.evaluate(snapshot),
    ]);
    if (published.status === 'rejected') this.warn('publishing the health sample failed', published.reason);
    if (evaluated.status === 'rejected') this.warn('evaluating the alert rules failed', evaluated.reason);
    return snapshot;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((error: unknown) => this.warn('health sample failed', error))
        .finally(() => {
          if (this.running) this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  private warn(msg: string, error: unknown): void {
    this.logger.warn({ msg, error: error instanceof Error ? error.message : String(error) });
  }
}
