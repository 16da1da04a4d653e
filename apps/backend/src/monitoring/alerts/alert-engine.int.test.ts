import { randomUUID } from 'node:crypto';
import type { EventPayloads } from '@taskdash/contract';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { TEST_REDIS_URL } from '../../../../../test/test-env';
import { WebsocketMetricsService } from '../websocket-metrics.service';
import { AlertEngine, type AlertNotices } from './alert-engine.service';
import { fingerprintOf } from './alert-fingerprint.util';
import type { AlertCondition } from './alert-rule.evaluator';
import type { AlertRule } from './alert-rule.schema';
import type { AlertStateStore } from './alert-state.types';
import type { AlertHistory, AlertRecord } from './alert.store';
import { MemoryAlertStateStore } from './memory-alert-state.store';
import { RedisAlertStateStore } from './redis-alert-state.store';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const WINDOWS = { groupWindowMs: 30 * SECOND, repeatIntervalMs: HOUR, staleAfterMs: 60 * SECOND };
const RULE: AlertRule = {
  name: 'EventLoopLagHigh',
  metric: 'eventLoopLagP99Ms',
  op: 'above',
  threshold: 200,
  forMs: 0,
  severity: 'warning',
};
const LABELS = { alertname: RULE.name, severity: RULE.severity };
const condition = (value: number): AlertCondition => ({
  rule: RULE,
  fingerprint: fingerprintOf(LABELS),
  labels: LABELS,
  value,
  summary: `lag ${value}`,
});

/** Records notices like the `system` stream would carry them. */
class NoticeRecorder implements AlertNotices {
  readonly firing: EventPayloads['system.alert_firing'][] = [];
  readonly resolved: EventPayloads['system.alert_resolved'][] = [];
  readonly acknowledged: EventPayloads['system.alert_acknowledged'][] = [];
  alertFiring = async (p: EventPayloads['system.alert_firing']) => (this.firing.push(p), undefined as never);
  alertResolved = async (p: EventPayloads['system.alert_resolved']) => (
    this.resolved.push(p),
    undefined as never
  );
  alertAcknowledged = async (p: EventPayloads['system.alert_acknowledged']) => (
    this.acknowledged.push(p),
    undefined as never
  );
}

/** The PostgreSQL history, in memory (the app's AlertStore is covered by alerts.int.test.ts). */
class MemoryHistory implements AlertHistory {
  readonly rows = new Map<string, AlertRecord & { resolved: boolean }>();
  private open = (fp: string) => [...this.rows.values()].find((r) => r.fingerprint === fp && !r.resolved);
  async opened(a: Parameters<AlertHistory['opened']>[0]): Promise<string> {
    const existing = this.open(a.fingerprint);
    if (existing) return existing.alertId;
    const at = a.notifiedAt.toISOString();
    this.rows.set(a.alertId, {
      ...a,
      startsAt: a.startsAt.toISOString(),
      lastNotifiedAt: at,
      notifications: 1,
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolved: false,
    });
    return a.alertId;
  }
  async renotified(fp: string): Promise<string | undefined> {
    return this.open(fp)?.alertId;
  }
  async resolved(fp: string): Promise<string | undefined> {
    const row = this.open(fp);
    if (row) row.resolved = true;
    return row?.alertId;
  }
  async isAcknowledged(fp: string): Promise<boolean> {
    const row = this.open(fp);
    return row !== undefined && row.acknowledgedAt !== null;
  }
  async acknowledge(fp: string, userId: string, at: Date) {
    const row = this.open(fp);
    if (!row) return undefined;
    const changed = row.acknowledgedAt === null;
    if (changed) Object.assign(row, { acknowledgedBy: userId, acknowledgedAt: at.toISOString() });
    return { alert: row, changed };
  }
}

interface Cluster {
  engines: AlertEngine[];
  notices: NoticeRecorder;
  history: MemoryHistory;
  metrics: WebsocketMetricsService;
  settle(): Promise<void>;
}

const redisClients: Redis[] = [];

/** Three backend instances' alert engines sharing one state (one Redis key prefix, or one memory store). */
function cluster(kind: 'redis' | 'memory'): Cluster {
  const prefix = `t-${randomUUID().slice(0, 8)}:alerts`;
  const memory = new MemoryAlertStateStore();
  const state = (): AlertStateStore => {
    if (kind === 'memory') return memory;
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: false });
    redisClients.push(redis);
    return new RedisAlertStateStore(redis, prefix);
  };
  const notices = new NoticeRecorder();
  const history = new MemoryHistory();
  const metrics = new WebsocketMetricsService(new Registry());
  const engines = [0, 1, 2].map(
    (i) =>
      new AlertEngine(state(), history, notices, metrics, { nodeId: `node-${i}`, rules: [RULE], ...WINDOWS }),
  );
  return {
    engines,
    notices,
    history,
    metrics,
    settle: async () => void (await Promise.all(engines.map((e) => e.settled()))),
  };
}

async function counter(
  metrics: WebsocketMetricsService,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(`taskdash_${name}`)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

describe.each(['redis', 'memory'] as const)(
  'alert de-duplication across three instances (%s state)',
  (kind) => {
    beforeEach(() => {
      // Redis I/O needs the real nextTick/setImmediate; only the clocks and timers are fake.
      jest.useFakeTimers({
        doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
        now: new Date('2030-01-01T00:00:00Z'),
      });
    });
    afterEach(() => jest.useRealTimers());
    afterAll(async () => {
      await Promise.all(redisClients.splice(0).map((r) => r.quit()));
    });

    it('500 identical conditions within the group window raise one alert, repeat only after the repeat interval, and resolve once', async () => {
      const c = cluster(kind);
      // 500 reports, from all three instances at once, over 25 s of the 30 s group window.
      for (let i = 0; i < 500; i += 3) {
        await Promise.all(
          c.engines.slice(0, 500 - i).map((engine, n) => engine.report(condition(300 + i + n))),
        );
        await jest.advanceTimersByTimeAsync(150);
      }
      await c.settle();
      expect(c.notices.firing).toHaveLength(0); // still inside the group window

      await jest.advanceTimersByTimeAsync(WINDOWS.groupWindowMs); // every instance's re-check fires; one wins
      await c.settle();
      expect(c.notices.firing).toHaveLength(1);
      expect(c.notices.firing[0]).toMatchObject({
        alertname: RULE.name,
        repeat: false,
        value: 799,
        nodes: ['node-0', 'node-1', 'node-2'],
      });

      // Still firing everywhere for almost an hour: nothing new.
      for (let t = 0; t < HOUR - 2 * WINDOWS.groupWindowMs; t += 30 * SECOND) {
        await Promise.all(c.engines.map((engine) => engine.report(condition(400))));
        await jest.advanceTimersByTimeAsync(30 * SECOND);
      }
      expect(c.notices.firing).toHaveLength(1);

      await jest.advanceTimersByTimeAsync(2 * WINDOWS.groupWindowMs); // past the repeat interval
      await Promise.all(c.engines.map((engine) => engine.report(condition(400))));
      await Promise.all(c.engines.map((engine) => engine.report(condition(400))));
      expect(c.notices.firing).toHaveLength(2);
      expect(c.notices.firing[1]).toMatchObject({ repeat: true, alertId: c.notices.firing[0]!.alertId });

      // Two instances clear: the third still sees it, so nothing resolves.
      await Promise.all([
        c.engines[0]!.clear(condition(0).fingerprint),
        c.engines[1]!.clear(condition(0).fingerprint),
      ]);
      expect(c.notices.resolved).toHaveLength(0);
      await Promise.all(c.engines.map((engine) => engine.clear(condition(0).fingerprint)));
      expect(c.notices.resolved).toHaveLength(1);
      expect(c.notices.resolved[0]).toMatchObject({
        alertId: c.notices.firing[0]!.alertId,
        alertname: RULE.name,
      });

      expect(await counter(c.metrics, 'alerts_raised_total', { alertname: RULE.name, repeat: 'false' })).toBe(
        1,
      );
      expect(await counter(c.metrics, 'alerts_raised_total', { alertname: RULE.name, repeat: 'true' })).toBe(
        1,
      );
      expect(
        await counter(c.metrics, 'alerts_suppressed_total', { alertname: RULE.name, reason: 'group_wait' }),
      ).toBeGreaterThanOrEqual(500);
      expect(await counter(c.metrics, 'alerts_resolved_total', { alertname: RULE.name })).toBe(1);
    });

    it('announces nothing for a condition that clears inside the group window', async () => {
      const c = cluster(kind);
      await Promise.all(c.engines.map((engine) => engine.report(condition(300))));
      await jest.advanceTimersByTimeAsync(10 * SECOND);
      await Promise.all(c.engines.map((engine) => engine.clear(condition(0).fingerprint)));
      await jest.advanceTimersByTimeAsync(WINDOWS.groupWindowMs);
      await c.settle();
      expect(c.notices.firing).toHaveLength(0);
      expect(c.notices.resolved).toHaveLength(0);
    });

    it('does not repeat an acknowledged alert, and still resolves it', async () => {
      const c = cluster(kind);
      await c.engines[0]!.report(condition(300));
      await jest.advanceTimersByTimeAsync(WINDOWS.groupWindowMs);
      await c.settle();
      expect(c.notices.firing).toHaveLength(1);
      const ack = await c.engines[1]!.acknowledge(condition(0).fingerprint, 'operator-1');
      expect(ack).toMatchObject({ found: true, changed: true });
      expect(await c.engines[2]!.acknowledge(condition(0).fingerprint, 'operator-2')).toMatchObject({
        found: true,
        changed: false,
      });
      expect(c.notices.acknowledged).toEqual([expect.objectContaining({ acknowledgedBy: 'operator-1' })]);

      await jest.advanceTimersByTimeAsync(2 * HOUR);
      await Promise.all(c.engines.map((engine) => engine.report(condition(300))));
      expect(c.notices.firing).toHaveLength(1);
      await Promise.all(c.engines.map((engine) => engine.clear(condition(0).fingerprint)));
      expect(c.notices.resolved).toHaveLength(1);
    });

    it('resolves an alert whose only reporting instance went silent', async () => {
      const c = cluster(kind);
      await c.engines[0]!.report(condition(300));
      await jest.advanceTimersByTimeAsync(WINDOWS.groupWindowMs);
      await c.settle();
      expect(c.notices.firing).toHaveLength(1);
      // node-0 crashed; another instance's sweep finds the alert abandoned once node-0 is stale.
      await jest.advanceTimersByTimeAsync(WINDOWS.staleAfterMs / 2);
      await c.engines[1]!.sweep();
      expect(c.notices.resolved).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(WINDOWS.staleAfterMs);
      await Promise.all([c.engines[1]!.sweep(), c.engines[2]!.sweep()]);
      expect(c.notices.resolved).toHaveLength(1);
    });

    it('keeps an alert open through sweeps while any instance still reports it', async () => {
      const c = cluster(kind);
      await Promise.all(c.engines.map((engine) => engine.report(condition(300))));
      await jest.advanceTimersByTimeAsync(WINDOWS.groupWindowMs);
      await c.settle();
      for (let i = 0; i < 5; i++) {
        await c.engines[0]!.report(condition(300));
        await Promise.all(c.engines.map((engine) => engine.sweep()));
        await jest.advanceTimersByTimeAsync(WINDOWS.staleAfterMs / 2);
      }
      expect([c.notices.firing.length, c.notices.resolved.length]).toEqual([1, 0]);
    });

    it('hands the notice back when publishing it fails, so the next report sends it', async () => {
      const c = cluster(kind);
      const publish = c.notices.alertFiring;
      c.notices.alertFiring = () => Promise.reject(new Error('event store unavailable'));
      await c.engines[0]!.report(condition(300));
      await jest.advanceTimersByTimeAsync(WINDOWS.groupWindowMs);
      await c.settle();
      c.notices.alertFiring = publish;
      await c.engines[1]!.report(condition(300));
      expect(c.notices.firing).toEqual([expect.objectContaining({ repeat: false })]);
    });
  },
);
