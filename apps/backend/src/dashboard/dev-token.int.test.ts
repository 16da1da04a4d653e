import { startTestApp, type TestApp } from '../../../../test/test-app';

describe('POST /dev/token', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('mints a token the API accepts, outside production', async () => {
    t = await startTestApp();
    expect((await fetch(`${t.url}/dev`)).status).toBe(200);
    const minted = await fetch(`${t.url}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'dora', role: 'operator' }),
    });
    expect(minted.status).toBe(200);
    const { token } = (await minted.json()) as { token: string };
    const alerts = await fetch(`${t.url}/alerts`, { headers: { authorization: `Bearer ${token}` } });
    expect(alerts.status).toBe(200); // operators only: the role came through
  });

  it('refuses a malformed user id or role', async () => {
    t = await startTestApp();
    for (const body of [{ sub: 'has space' }, { sub: 'x', role: 'root' }, { sub: 'x', extra: 1 }]) {
      const answer = await fetch(`${t.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(answer.status).toBe(400);
    }
  });

  it('does not exist in production', async () => {
    t = await startTestApp({ env: { NODE_ENV: 'production' } });
    const answer = await fetch(`${t.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sub":"x"}' });
    expect(answer.status).toBe(404);
    expect((await fetch(`${t.url}/dev`)).status).toBe(404);
  });
});
