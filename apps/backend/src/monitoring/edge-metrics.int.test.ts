import { ErrorCode } from '@taskdash/contract';
import { expectEventually } from '../../../../test/eventually';
import { connected, rejection, startTestApp, type TestApp } from '../../../../test/test-app';

/** The socket edge (handshakes, limits, server disconnects, revocations) shows up in /metrics. */
describe('edge metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { MESSAGES_PER_SECOND: '2' } });
  });
  afterAll(() => t.close());

  const metrics = async () => (await fetch(`${t.url}/metrics`)).text();
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line ? Number(line.slice(series.length).trim()) : 0;
  };

  it('counts handshake rejections, refused messages and server disconnects by code, and revocation latency', async () => {
    await rejection(t.connect(undefined));
    const flooder = t.connect(t.token('flood'));
    await connected(flooder);
    for (let i = 0; i < 30; i++) flooder.emit('unsubscribe', { streams: ['system'] }, () => undefined);
    await expectEventually(() => expect(flooder.connected).toBe(false));
    const member = t.connect(t.token('mia'));
    await connected(member);
    const taskId = ((await t.http('POST', '/tasks', 'own', { title: 'm', members: ['mia'] })).body as { id: string }).id;
    await new Promise((resolve) => member.emit('subscribe', { streams: [{ stream: `task:${taskId}` }] }, resolve));
    await t.http('DELETE', `/tasks/${taskId}/members/mia`, 'own');

    await expectEventually(async () => {
      const text = await metrics();
      expect(value(text, `taskdash_ws_handshake_rejections_total{code="${ErrorCode.TokenMissing}"}`)).toBe(1);
      expect(value(text, `taskdash_ws_messages_refused_total{code="${ErrorCode.RateLimited}"}`)).toBeGreaterThan(0);
      expect(value(text, `taskdash_ws_server_disconnects_total{code="${ErrorCode.RateLimited}"}`)).toBe(1);
      expect(value(text, 'taskdash_permission_revocation_seconds_count{kind="streams"}')).toBe(1);
    });
  });
});
