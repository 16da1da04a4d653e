import { randomUUID } from 'node:crypto';
import { ErrorCode, SYSTEM_STREAM, type EventEnvelope, type EventPayloads } from '@taskdash/contract';
import { EventCollector, subscribe } from '../../../../../test/event-collector';
import { expectEventually } from '../../../../../test/eventually';
import { createTestDatabase } from '../../../../../test/test-database';
import { connected, startTestApp, type TestApp, type TestSocket } from '../../../../../test/test-app';
import { TEST_REDIS_TARGETS } from '../../../../../test/test-env';
import type { Role } from '../../auth/principal.types';
import type { AlertRecord } from './alert.store';

// A rule that holds on every sample (the backlog is never below -1), sampled every 200 ms,
// announced at once and repeated every second while nobody acknowledges it.
const ENV = {
  HEALTH_SAMPLE_INTERVAL_MS: '200',
  ALERT_RULES: JSON.stringify([
    { name: 'AlwaysFiring', metric: 'publishBacklog', op: 'above', threshold: -1, severity: 'critical' },
  ]),
  ALERT_GROUP_WINDOW_MS: '0',
  ALERT_REPEAT_INTERVAL_MS: '1000',
};

const firingOf = (c: EventCollector, fingerprint: string) =>
  c.all.filter(
    (e): e is EventEnvelope<'system.alert_firing'> =>
      e.type === 'system.alert_firing' &&
      (e.payload as EventPayloads['system.alert_firing']).fingerprint === fingerprint,
  );
const healthCount = (c: EventCollector) => c.all.filter((e) => e.type === 'system.health').length;

async function open(
  t: TestApp,
  sub: string,
  role: Role,
): Promise<{ socket: TestSocket; events: EventCollector }> {
  const socket = t.connect(t.token(sub, role));
  const events = new EventCollector(socket);
  await connected(socket);
  return { socket, events };
}

async function openAlerts(t: TestApp, query = ''): Promise<AlertRecord[]> {
  const answer = await t.http('GET', `/alerts${query}`, 'ops-lister', undefined, 'operator');
  expect(answer.status).toBe(200);
  return (answer.body as { alerts: AlertRecord[] }).alerts;
}

describe('alerts on the system stream', () => {
  let t: TestApp;
  let bystander: { socket: TestSocket; events: EventCollector };
  beforeAll(async () => {
    t = await startTestApp({ redis: true, env: ENV });
    // A plain user, connected throughout: must never see anything of the system stream.
    bystander = await open(t, 'plain-user', 'user');
  });
  afterAll(() => t.close());

  it('an operator who connects after an unacknowledged alert receives it; once one operator acknowledges it, it is not delivered again', async () => {
    let alert: AlertRecord | undefined;
    await expectEventually(async () => {
      [alert] = await openAlerts(t);
      expect(alert).toMatchObject({ alertname: 'AlwaysFiring', severity: 'critical', acknowledgedBy: null });
    });
    const fingerprint = alert!.fingerprint;

    // Connects after the alert was raised: it is listed, and delivered again on the stream.
    const a = await open(t, 'ops-a', 'operator');
    const answer = await subscribe(a.socket, [{ stream: SYSTEM_STREAM }]);
    expect(answer.ok && answer.results[0]?.ok).toBe(true);
    await expectEventually(() => expect(firingOf(a.events, fingerprint)).not.toHaveLength(0), 5000);
    expect(firingOf(a.events, fingerprint)[0]?.payload).toMatchObject({
      alertId: alert!.alertId,
      repeat: true,
      alertname: 'AlwaysFiring',
    });

    const b = await open(t, 'ops-b', 'admin');
    await subscribe(b.socket, [{ stream: SYSTEM_STREAM }]);

    const ack = await t.http('POST', `/alerts/${fingerprint}/ack`, 'ops-a', undefined, 'operator');
    expect(ack).toMatchObject({
      status: 200,
      body: { changed: true, alert: { fingerprint, acknowledgedBy: 'ops-a' } },
    });
    const acknowledged = (c: EventCollector) =>
      c.all.filter((e) => e.type === 'system.alert_acknowledged').map((e) => e.payload);
    await expectEventually(() => {
      for (const c of [a.events, b.events])
        expect(acknowledged(c)).toEqual([expect.objectContaining({ fingerprint, acknowledgedBy: 'ops-a' })]);
    });
    // Stored in PostgreSQL.
    const row = await t.runtime.database.prisma.alert.findFirstOrThrow({
      where: { fingerprint, resolvedAt: null },
    });
    expect(row).toMatchObject({ acknowledgedBy: 'ops-a', id: alert!.alertId });
    // A second acknowledgement changes nothing and announces nothing.
    expect(await t.http('POST', `/alerts/${fingerprint}/ack`, 'ops-b', undefined, 'admin')).toMatchObject({
      status: 200,
      body: { changed: false },
    });

    expect(await openAlerts(t)).toEqual([]);
    expect(await openAlerts(t, '?acknowledged=true')).toEqual([
      expect.objectContaining({ fingerprint, acknowledgedBy: 'ops-a' }),
    ]);

    // An operator connecting now, and the two connected ones, get no further notice while the
    // condition still holds and the node keeps sampling (10 samples = 2 repeat intervals).
    const c = await open(t, 'ops-c', 'operator');
    await subscribe(c.socket, [{ stream: SYSTEM_STREAM }]);
    const seen = [firingOf(a.events, fingerprint).length, firingOf(b.events, fingerprint).length];
    await expectEventually(() => expect(healthCount(c.events)).toBeGreaterThanOrEqual(10), 10_000);
    expect([firingOf(a.events, fingerprint).length, firingOf(b.events, fingerprint).length]).toEqual(seen);
    expect(firingOf(c.events, fingerprint)).toEqual([]);
    expect(acknowledged(a.events)).toHaveLength(1);
  });

  it('health snapshots reach operators, and each sample costs the event loop well under a millisecond', async () => {
    const ops = await open(t, 'ops-health', 'operator');
    await subscribe(ops.socket, [{ stream: SYSTEM_STREAM }]);
    await expectEventually(() => expect(healthCount(ops.events)).toBeGreaterThanOrEqual(5));
    const samples = ops.events.all
      .filter((e) => e.type === 'system.health')
      .map((e) => e.payload as EventPayloads['system.health']);
    for (const s of samples) {
      expect(s).toMatchObject({ postgres: { ok: true }, redis: { ok: true }, queues: [{ queue: 'executions', waiting: 0, active: 0, delayed: 0, failed: 0 }] });
      expect(s.sockets).toBeGreaterThanOrEqual(1);
    }
    // The median sample; a single one may include a GC pause or cold code.
    const costs = samples.map((s) => s.sampleCostMs).sort((x, y) => x - y);
    expect(costs[Math.floor(costs.length / 2)]).toBeLessThan(1);
  });

  it('non-operators never receive system events, may not subscribe to them, list or acknowledge alerts', async () => {
    const answer = await subscribe(bystander.socket, [{ stream: SYSTEM_STREAM }]);
    expect(answer.ok && answer.results[0]).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } });
    const [alert] = await openAlerts(t, '?acknowledged=true');
    expect(await t.http('GET', '/alerts', 'plain-user', undefined, 'user')).toMatchObject({
      status: 403,
      body: { code: ErrorCode.Forbidden },
    });
    expect(
      await t.http('POST', `/alerts/${alert!.fingerprint}/ack`, 'plain-user', undefined, 'user'),
    ).toMatchObject({ status: 403 });
    expect(await t.http('GET', '/alerts')).toMatchObject({ status: 401 });
    // Everything the bystander got during this whole file (alerts, acks, health samples flowed all along).
    expect(
      bystander.events.all.filter((e) => e.stream === SYSTEM_STREAM || e.type.startsWith('system.')),
    ).toEqual([]);
  });

  it('answers 404 for a fingerprint with no open alert and 400 for a malformed one', async () => {
    expect(
      await t.http('POST', '/alerts/0123456789abcdef/ack', 'ops-a', undefined, 'operator'),
    ).toMatchObject({ status: 404, body: { code: ErrorCode.NotFound } });
    expect(
      await t.http('POST', '/alerts/not-a-fingerprint/ack', 'ops-a', undefined, 'operator'),
    ).toMatchObject({ status: 400 });
  });
});

describe.each(TEST_REDIS_TARGETS)('alerts with two backend nodes (Redis %s)', (redis) => {
  it('raises one alert for a condition both nodes see, not one per node', async () => {
    const database = await createTestDatabase();
    const env = {
      ...ENV,
      REDIS_KEY_PREFIX: `t-${randomUUID().slice(0, 8)}`,
      ALERT_REPEAT_INTERVAL_MS: '60000',
    };
    const nodes = [
      await startTestApp({ redis, database, env: { ...env, NODE_ID: 'node-1' } }),
      await startTestApp({ redis, database, env: { ...env, NODE_ID: 'node-2' } }),
    ];
    try {
      const ops = await open(nodes[1]!, 'ops-n', 'operator');
      await subscribe(ops.socket, [{ stream: SYSTEM_STREAM }]);
      // Both nodes publish health (over the Redis adapter) and both report the condition...
      await expectEventually(() => {
        const from = new Set(
          ops.events.all
            .filter((e) => e.type === 'system.health')
            .map((e) => (e.payload as { nodeId: string }).nodeId),
        );
        expect([...from].sort()).toEqual(['node-1', 'node-2']);
      });
      await expectEventually(async () => {
        const [alert] = await openAlerts(nodes[0]!);
        expect(alert?.alertname).toBe('AlwaysFiring');
      });
      // ...yet there is one alert, announced once.
      await expectEventually(() => expect(healthCount(ops.events)).toBeGreaterThanOrEqual(12), 10_000);
      expect(await nodes[0]!.runtime.database.prisma.alert.count()).toBe(1);
      const firing = await nodes[0]!.runtime.database.prisma.event.count({
        where: { stream: SYSTEM_STREAM, type: 'system.alert_firing' },
      });
      expect(firing).toBe(1);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await database.drop();
    }
  });
});
