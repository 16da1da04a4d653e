import { randomUUID } from 'node:crypto';
import { SYSTEM_STREAM } from '@taskdash/contract';
import { whileRefused } from '../../../../../test/refused-events';
import { startTestApp, type TestApp } from '../../../../../test/test-app';
import { EventStore } from '../../events/event-store';
import { AlertEngine } from './alert-engine.service';
import { AlertStore } from './alert.store';

/**
 * An alert's row change and its notice on the `system` stream are one transaction: when
 * the notice cannot be stored, the acknowledgement is not recorded either, so no operator
 * sees an acknowledged alert that the others were never told about.
 */
describe('alert history and its notices commit together', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { HEALTH_SAMPLE_INTERVAL_MS: '0' } });
  });
  afterAll(() => t.close());

  const systemTypes = async () =>
    (await t.app.get(EventStore).read(SYSTEM_STREAM, 0, 10_000, 10_000)).map((e) => e.type);

  it('an acknowledgement whose notice is refused is not stored; once accepted it is stored with its notice', async () => {
    const fingerprint = randomUUID().replace(/-/g, '').slice(0, 16);
    const now = new Date();
    await t.app.get(AlertStore).opened({
      alertId: randomUUID(),
      fingerprint,
      alertname: 'AtomicTest',
      severity: 'warning',
      labels: { alertname: 'AtomicTest', severity: 'warning' },
      summary: 'test',
      value: 1,
      threshold: 0,
      startsAt: now,
      notifiedAt: now,
    });
    const engine = t.app.get(AlertEngine);
    await whileRefused(t.runtime.database.prisma, ['system.alert_acknowledged'], async () => {
      await expect(engine.acknowledge(fingerprint, 'olga')).rejects.toThrow(/refused/);
    });
    expect(await t.app.get(AlertStore).isAcknowledged(fingerprint)).toBe(false);
    expect(await systemTypes()).not.toContain('system.alert_acknowledged');

    expect(await engine.acknowledge(fingerprint, 'olga')).toMatchObject({ found: true, changed: true });
    expect(await t.app.get(AlertStore).isAcknowledged(fingerprint)).toBe(true);
    expect((await systemTypes()).filter((type) => type === 'system.alert_acknowledged')).toHaveLength(1);
  });
});
