import { randomUUID } from 'node:crypto';
import { delay } from '../../../../test/eventually';
import { startTestApp, type TestApp } from '../../../../test/test-app';

/**
 * The role rule: a users row keeps only what the server decided. A role comes from the
 * token unless an admin set one explicitly; disabling, enabling and "log out everywhere"
 * never record a role. Each path that creates a row is checked against the database and
 * against what the next token may do.
 */
describe('user state and the role rule', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const user = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
  const row = (id: string) => t.runtime.database.prisma.user.findUnique({ where: { id } });
  /** Tokens carry `iat` in seconds: a token minted in the next second postdates a logout. */
  const nextSecond = () => delay(1_100 - (Date.now() % 1_000));

  it("an admin who logged out everywhere and was then demoted by the identity provider has a user's rights", async () => {
    const [ada, mallory] = [user('ada'), user('mallory')];
    expect((await t.http('POST', `/users/${ada}/sessions/revoke`, ada, undefined, 'admin')).status).toBe(204);
    expect(await row(ada)).toMatchObject({ role: null, roleSetBy: null });
    await nextSecond();
    // The provider now issues ada a plain user token.
    expect((await t.http('GET', '/alerts', ada, undefined, 'user')).status).toBe(403);
    expect((await t.http('PUT', `/users/${mallory}/role`, ada, { role: 'admin' }, 'user')).status).toBe(403);
    expect(await row(mallory)).toBeNull();
    // Still an admin while the provider says so.
    expect((await t.http('GET', '/alerts', ada, undefined, 'admin')).status).toBe(200);
  });

  it('disabling and enabling an operator whose role comes from tokens keeps them an operator', async () => {
    const olga = user('olga');
    expect((await t.http('POST', `/users/${olga}/disable`, 'root', undefined, 'admin')).status).toBe(204);
    expect((await t.http('GET', '/alerts', olga, undefined, 'operator')).body).toMatchObject({ code: 'user_disabled' });
    expect((await t.http('POST', `/users/${olga}/enable`, 'root', undefined, 'admin')).status).toBe(204);
    expect(await row(olga)).toMatchObject({ role: null, disabled: false });
    expect((await t.http('GET', '/alerts', olga, undefined, 'operator')).status).toBe(200);
  });

  it('a role an admin set overrides the token until an admin clears it; both are recorded with who did it', async () => {
    const bob = user('bob');
    expect((await t.http('PUT', `/users/${bob}/role`, 'root', { role: 'operator' }, 'admin')).status).toBe(204);
    expect(await row(bob)).toMatchObject({ role: 'operator', roleSetBy: 'root', roleSetAt: expect.any(Date) });
    expect((await t.http('GET', '/alerts', bob, undefined, 'user')).status).toBe(200);

    expect((await t.http('DELETE', `/users/${bob}/role`, 'root', undefined, 'admin')).status).toBe(204);
    expect(await row(bob)).toMatchObject({ role: null, roleSetBy: 'root' });
    expect((await t.http('GET', '/alerts', bob, undefined, 'user')).status).toBe(403);
    // Only admins may clear a role.
    expect((await t.http('DELETE', `/users/${bob}/role`, bob, undefined, 'operator')).status).toBe(403);
  });

  it('logging out one token (jti) creates no users row', async () => {
    const carl = user('carl');
    expect((await t.http('POST', '/auth/logout', carl)).status).toBe(204);
    expect(await row(carl)).toBeNull();
  });
});
