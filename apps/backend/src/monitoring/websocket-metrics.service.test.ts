import type { EventEnvelope } from '@taskdash/contract';
import { Registry } from 'prom-client';
import { WebsocketMetricsService } from './websocket-metrics.service';

const envelope = (type: string, occurredAt: string): EventEnvelope =>
  ({
    id: 'x',
    stream: 'task:1',
    seq: 1,
    epoch: 'e',
    type,
    occurredAt,
    payload: {},
  }) as unknown as EventEnvelope;

async function value(
  metrics: WebsocketMetricsService,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(`taskdash_${name}`)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('WebsocketMetricsService', () => {
  it('counts stored events by type and anything unknown as other', async () => {
    const metrics = new WebsocketMetricsService(new Registry());
    const now = new Date().toISOString();
    metrics.stored([envelope('task.created', now), envelope('task.created', now), envelope('made.up', now)]);
    expect(await value(metrics, 'events_published_total', { type: 'task.created' })).toBe(2);
    expect(await value(metrics, 'events_published_total', { type: 'other' })).toBe(1);
  });

  it('counts deliveries as events times sockets and observes publish-to-emit latency', async () => {
    const metrics = new WebsocketMetricsService(new Registry());
    metrics.emitted([envelope('task.updated', new Date(Date.now() - 40).toISOString())], 25);
    expect(await value(metrics, 'events_emitted_total')).toBe(1);
    expect(await value(metrics, 'events_delivered_total')).toBe(25);
    const histogram = await metrics.registry.getSingleMetric('taskdash_event_publish_to_emit_seconds')?.get();
    const bucket = (le: number) =>
      histogram?.values.find(
        (v) => (v as { metricName?: string }).metricName?.endsWith('_bucket') === true && v.labels.le === le,
      )?.value;
    expect([bucket(0.025), bucket(0.05)]).toEqual([0, 1]);
  });

  it('never turns a free-form value into a new label value', async () => {
    const metrics = new WebsocketMetricsService(new Registry());
    const before = (await metrics.registry.getMetricsAsJSON()).reduce((n, m) => n + m.values.length, 0);
    for (let i = 0; i < 100; i++) {
      metrics.handshakeRejected(`user-${i}`);
      metrics.messageRefused(`task:${i}`);
      metrics.serverDisconnected(`code-${i}`);
      metrics.revocationApplied(`kind-${i}`, 5);
      metrics.decided(`reason-${i}` as never);
    }
    const after = (await metrics.registry.getMetricsAsJSON()).reduce((n, m) => n + m.values.length, 0);
    expect(after).toBe(before);
    expect(await value(metrics, 'ws_handshake_rejections_total', { code: 'other' })).toBe(100);
  });

  it('maps Socket.IO disconnect reasons to snake_case labels and counts the server codes', async () => {
    const metrics = new WebsocketMetricsService(new Registry());
    const namespace = { on: (_: string, fn: () => void) => fn() };
    metrics.observeConnections(namespace as never);
    metrics.socketDisconnected('ping timeout', undefined);
    metrics.socketDisconnected('server namespace disconnect', 'slow_consumer');
    expect(await value(metrics, 'ws_connects_total')).toBe(1);
    expect(await value(metrics, 'ws_disconnects_total', { reason: 'ping_timeout' })).toBe(1);
    expect(await value(metrics, 'ws_server_disconnects_total', { code: 'slow_consumer' })).toBe(1);
  });
});
