import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { AlertSeverity, EventPayloads } from '@taskdash/contract';
import type { EventTx } from '../../events/event-transactions.service';
import type { SystemEventsService } from '../system-events.service';
import type { HealthSnapshot } from '../health/health-sampler.service';
import type { WebsocketMetricsService } from '../websocket-metrics.service';
import type { AlertLabels } from './alert-fingerprint.util';
import { AlertRuleEvaluator, type AlertCondition } from './alert-rule.evaluator';
import type { AlertRule } from './alert-rule.schema';
import type {
  AlertStateStore,
  AlertWindows,
  ClearOutcome,
  ReportOutcome,
  SharedAlert,
} from './alert-state.types';
import type { AlertHistory, AlertRecord } from './alert.store';

export interface AlertEngineOptions extends AlertWindows {
  nodeId: string;
  rules: readonly AlertRule[];
}

/** Where notices go: the `system` stream in the app, a recorder in unit tests. */
export type AlertNotices = Pick<SystemEventsService, 'alertFiring' | 'alertResolved' | 'alertAcknowledged'>;

/**
 * Runs a history change and its notice as one unit: `EventTransactions.run` in the app (row
 * and event commit together), a plain call where the history is in memory.
 */
export type AlertUnitOfWork = <T>(work: (tx: EventTx | undefined) => Promise<T>) => Promise<T>;

const direct: AlertUnitOfWork = (work) => work(undefined);

/** What the first report stored for whoever publishes a notice later (possibly another node). */
interface AlertMeta {
  labels: AlertLabels;
  severity: AlertSeverity;
  summary: string;
  threshold: number;
}

export type AcknowledgeResult = { found: false } | { found: true; changed: boolean; alert: AlertRecord };

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Alertmanager's de-duplication for health alerts, shared by every node:
 * - identity is the fingerprint of the labels (no node id), so N nodes raise one alert;
 * - the first notice waits `groupWindowMs` (every node's report joins it, a flap inside the
 *   window announces nothing), then exactly one node publishes it;
 * - while it fires and nobody acknowledged it, it is announced again every `repeatIntervalMs`;
 * - it resolves, with one notice, once no node reports it (a node that went silent for
 *   `staleAfterMs` no longer counts).
 * Who publishes is decided atomically by the state store; the history goes to PostgreSQL.
 */
export class AlertEngine {
  private readonly logger = new Logger(AlertEngine.name);
  private readonly evaluator: AlertRuleEvaluator;
  private readonly flushTimers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly state: AlertStateStore,
    private readonly history: AlertHistory,
    private readonly notices: AlertNotices,
    private readonly metrics: WebsocketMetricsService | undefined,
    private readonly options: AlertEngineOptions,
    private readonly transact: AlertUnitOfWork = direct,
  ) {
    this.evaluator = new AlertRuleEvaluator(options.rules);
    metrics?.presetAlerts(options.rules.map((r) => r.name));
  }

  /** Applies the rules to this node's sample, reports what fires or cleared, resolves abandoned alerts. */
  async evaluate(sample: HealthSnapshot, now = Date.now()): Promise<void> {
    const { firing, cleared } = this.evaluator.evaluate(sample, now);
    await Promise.all([
      ...firing.map((c) => this.report(c, now)),
      ...cleared.map((c) => this.clear(c.fingerprint, now)),
    ]);
    await this.sweep(now);
  }

  /** This node sees `condition` firing. */
  async report(condition: AlertCondition, now = Date.now()): Promise<ReportOutcome> {
    const { rule, fingerprint, labels, value, summary } = condition;
    const meta: AlertMeta = { labels, severity: rule.severity, summary, threshold: rule.threshold };
    const outcome = await this.state.report(
      {
        fingerprint,
        alertname: rule.name,
        nodeId: this.options.nodeId,
        value,
        alertId: randomUUID(),
        meta: JSON.stringify(meta),
        op: rule.op,
      },
      now,
      this.options,
    );
    await this.handle(fingerprint, outcome, now);
    return outcome;
  }

  /** This node no longer sees the alert. */
  clear(fingerprint: string, now = Date.now()): Promise<ClearOutcome> {
    return this.clearFor(fingerprint, this.options.nodeId, now);
  }

  /** Resolves alerts whose every reporting node went silent (crashed, scaled away). */
  async sweep(now = Date.now()): Promise<void> {
    for (const fingerprint of await this.state.open()) await this.clearFor(fingerprint, undefined, now);
  }

  async acknowledge(fingerprint: string, userId: string, now = Date.now()): Promise<AcknowledgeResult> {
    const result = await this.transact(async (tx) => {
      const result = await this.history.acknowledge(fingerprint, userId, new Date(now), tx);
      if (result?.changed) {
        const { alert } = result;
        const payload = {
          alertId: alert.alertId,
          fingerprint,
          alertname: alert.alertname,
          acknowledgedBy: userId,
          acknowledgedAt: alert.acknowledgedAt ?? iso(now),
        };
        await this.notices.alertAcknowledged(payload, { tx });
      }
      return result;
    });
    if (!result) return { found: false };
    // PostgreSQL holds the acknowledgement; the shared flag only spares the repeat check a query.
    await this.state
      .acknowledge(fingerprint)
      .catch((error: Error) => this.logger.warn({ msg: 'alert ack not shared', error: error.message }));
    const { alert, changed } = result;
    if (changed) this.metrics?.alertAcknowledged(alert.alertname);
    return { found: true, changed, alert };
  }

  /** Resolves once every notice started so far is published (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  stop(): void {
    for (const timer of this.flushTimers.values()) clearTimeout(timer);
    this.flushTimers.clear();
  }

  /** `nodeId` stopped seeing the alert; undefined: only drop the nodes gone silent. */
  private async clearFor(
    fingerprint: string,
    nodeId: string | undefined,
    now: number,
  ): Promise<ClearOutcome> {
    const outcome = await this.state.clear(fingerprint, nodeId, now, this.options.staleAfterMs);
    if (outcome.action !== 'none') this.cancelFlush(fingerprint);
    if (outcome.action === 'resolve') await this.resolve(fingerprint, outcome.alert, now);
    return outcome;
  }

  private async handle(fingerprint: string, outcome: ReportOutcome, now: number): Promise<void> {
    switch (outcome.action) {
      case 'notify':
        this.cancelFlush(fingerprint);
        return this.notify(fingerprint, outcome.alert, outcome.repeat, now);
      case 'suppress':
        this.metrics?.alertSuppressed(outcome.alert.alertname, outcome.reason);
        if (outcome.reason === 'group_wait')
          this.scheduleFlush(fingerprint, outcome.alert.startsAt + this.options.groupWindowMs - now);
        return;
      case 'none':
        return;
    }
  }

  /** Every node that saw the alert pending re-checks it when the window ends; one of them wins. */
  private scheduleFlush(fingerprint: string, delayMs: number): void {
    if (this.flushTimers.has(fingerprint)) return;
    const timer = setTimeout(
      () => {
        this.flushTimers.delete(fingerprint);
        this.track(this.flush(fingerprint));
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    this.flushTimers.set(fingerprint, timer);
  }

  private cancelFlush(fingerprint: string): void {
    clearTimeout(this.flushTimers.get(fingerprint));
    this.flushTimers.delete(fingerprint);
  }

  private async flush(fingerprint: string): Promise<void> {
    const now = Date.now();
    const recheck = {
      fingerprint,
      alertname: '',
      nodeId: undefined,
      value: 0,
      alertId: '',
      meta: '',
      op: 'above' as const,
    };
    await this.handle(fingerprint, await this.state.report(recheck, now, this.options), now);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: Error) =>
      this.logger.warn({ msg: 'alert re-check failed', error: error.message }),
    );
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private async notify(fingerprint: string, alert: SharedAlert, repeat: boolean, now: number): Promise<void> {
    const meta = JSON.parse(alert.meta) as AlertMeta;
    try {
      if (repeat && (await this.history.isAcknowledged(fingerprint))) {
        await this.state.acknowledge(fingerprint);
        this.metrics?.alertSuppressed(alert.alertname, 'acknowledged');
        return;
      }
      const at = new Date(now);
      await this.transact(async (tx) => {
        const alertId = repeat
          ? ((await this.history.renotified(fingerprint, at, alert.worst, tx)) ?? alert.alertId)
          : await this.history.opened(
              {
                ...meta,
                alertId: alert.alertId,
                fingerprint,
                alertname: alert.alertname,
                value: alert.worst,
                startsAt: new Date(alert.startsAt),
                notifiedAt: at,
              },
              tx,
            );
        const payload: EventPayloads['system.alert_firing'] = {
          alertId,
          fingerprint,
          alertname: alert.alertname,
          severity: meta.severity,
          labels: meta.labels,
          summary: meta.summary,
          value: alert.worst,
          threshold: meta.threshold,
          startsAt: iso(alert.startsAt),
          repeat,
          nodes: alert.nodes.slice(0, 64),
        };
        await this.notices.alertFiring(payload, { tx });
      });
      this.metrics?.alertRaised(alert.alertname, repeat);
    } catch (error) {
      // Hand the notice back so the next report (from any node) tries again.
      this.logger.warn({
        msg: 'alert notice failed; will retry',
        alertname: alert.alertname,
        error: (error as Error).message,
      });
      await this.state.release(fingerprint, repeat).catch(() => undefined);
    }
  }

  private async resolve(fingerprint: string, alert: SharedAlert, now: number): Promise<void> {
    const meta = JSON.parse(alert.meta) as AlertMeta;
    try {
      await this.transact(async (tx) => {
        const alertId = (await this.history.resolved(fingerprint, new Date(now), tx)) ?? alert.alertId;
        const payload = {
          alertId,
          fingerprint,
          alertname: alert.alertname,
          severity: meta.severity,
          labels: meta.labels,
          startsAt: iso(alert.startsAt),
          resolvedAt: iso(now),
        };
        await this.notices.alertResolved(payload, { tx });
      });
      this.metrics?.alertResolved(alert.alertname);
    } catch (error) {
      this.logger.warn({
        msg: 'resolved notice failed',
        alertname: alert.alertname,
        error: (error as Error).message,
      });
    }
  }
}
