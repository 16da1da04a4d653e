import type { FaultProxy } from '@taskdash/testkit';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startBackendProcess, type BackendProcess } from '../../../../test/backend-process';
import { delay, expectEventually } from '../../../../test/eventually';
import { behindFaultProxy, createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import { connected, rejection, startTestApp, type TestApp } from '../../../../test/test-app';
import { SessionStateService } from './session-state.service';

const user = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
/** Tokens carry `iat` in seconds: a token minted in the next second postdates a logout. */
const nextSecond = () => delay(1_100 - (Date.now() % 1_000));

/**
 * Each node checks handshakes and requests against its mirror of the session tables. What
 * proves the mirror is there: checks keep working while the database is unreachable. What
 * proves it is exact: a change made through one node's API holds at the next handshake on
 * another node, and a change made around the API is seen at the next full read.
 */
describe('the session mirror', () => {
  describe('two nodes over Redis', () => {
    let b: TestApp;
    let a: BackendProcess;

    beforeAll(async () => {
      b = await startTestApp({ redis: true });
      a = await startBackendProcess({
        DATABASE_URL: b.database.url,
        REDIS_KEY_PREFIX: b.runtime.config.redisKeyPrefix,
      });
    });
    afterAll(async () => {
      await a?.kill();
      await b?.close();
    });

    const onA = async (method: string, path: string, body?: unknown) =>
      (
        await fetch(`${a.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${b.token('root', 'admin')}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        })
      ).status;

    it('node B checks against its mirror', () => {
      expect(b.app.get(SessionStateService).mirrored).toBe(true);
    });

    it('disabling, enabling and logging out on node A hold at the next handshake on node B', async () => {
      const dora = user('dora');
      const first = b.connect(b.token(dora));
      await connected(first);
      expect(await onA('POST', `/users/${dora}/disable`)).toBe(204);
      expect(await rejection(b.connect(b.token(dora)))).toMatchObject({ code: 'user_disabled' });
      expect((await b.http('GET', '/tasks', dora)).body).toMatchObject({ code: 'user_disabled' });

      expect(await onA('POST', `/users/${dora}/enable`)).toBe(204);
      await connected(b.connect(b.token(dora)));

      const stale = b.token(dora);
      expect(await onA('POST', `/users/${dora}/sessions/revoke`)).toBe(204);
      expect(await rejection(b.connect(stale))).toMatchObject({ code: 'token_revoked' });
      await nextSecond();
      await connected(b.connect(b.token(dora)));
    });

    it('a role set on node A applies to the next request on node B, and clearing it too', async () => {
      const otto = user('otto');
      expect((await b.http('GET', '/alerts', otto)).status).toBe(403);
      expect(await onA('PUT', `/users/${otto}/role`, { role: 'operator' })).toBe(204);
      expect((await b.http('GET', '/alerts', otto)).status).toBe(200);
      expect(await onA('DELETE', `/users/${otto}/role`)).toBe(204);
      expect((await b.http('GET', '/alerts', otto)).status).toBe(403);
    });
  });

  describe('one node behind a fault proxy to PostgreSQL', () => {
    let t: TestApp;
    let proxy: FaultProxy;
    let database: TestDatabase;
    let sql: Client;

    beforeAll(async () => {
      database = await createTestDatabase();
      const proxied = await behindFaultProxy(database);
      proxy = proxied.proxy;
      // The app's connections go through the proxy; this test's own SQL does not.
      t = await startTestApp({ database: proxied.database, env: { SESSION_CACHE_REFRESH_SEC: '1' } });
      sql = new Client({ connectionString: database.url });
      await sql.connect();
    });
    afterAll(async () => {
      proxy?.set('pass');
      await sql?.end();
      await t?.close();
      await proxy?.close();
      await database?.drop();
    });

    it('with PostgreSQL unreachable, users the mirror knows connect; a user announced as changed is refused `unavailable`', async () => {
      const [ann, bea, zed] = [user('ann'), user('bea'), user('zed')];
      expect((await t.http('PUT', `/users/${bea}/role`, 'root', { role: 'operator' }, 'admin')).status).toBe(
        204,
      );
      // Settles bea in the mirror (the read after the announcement).
      await connected(t.connect(t.token(bea)));
      proxy.set('reset');
      try {
        t.app.get(SessionStateService).changed(zed);
        await connected(t.connect(t.token(ann)));
        await connected(t.connect(t.token(bea)));
        expect(await rejection(t.connect(t.token(zed)))).toMatchObject({ code: 'unavailable' });
      } finally {
        proxy.set('pass');
      }
      await expectEventually(() => connected(t.connect(t.token(zed))), 10_000, 200);
    });

    it('a change made around the API (SQL by hand) holds after the next full read', async () => {
      const hal = user('hal');
      await connected(t.connect(t.token(hal)));
      await sql.query(`INSERT INTO users (id, disabled, updated_at) VALUES ($1, true, now())`, [hal]);
      await expectEventually(
        async () => expect(await rejection(t.connect(t.token(hal)))).toMatchObject({ code: 'user_disabled' }),
        5_000,
        100,
      );
    });
  });
});
