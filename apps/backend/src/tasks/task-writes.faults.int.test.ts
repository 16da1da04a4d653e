import type { FaultProxy } from '@taskdash/testkit';
import { expectEventually } from '../../../../test/eventually';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { behindFaultProxy, createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import { EventStore } from '../events/event-store';
import { databaseExecutor } from '../events/sql-executor';
import { openPostgres } from '../database/database.factory';

const LIMIT_MS = 1500;
/** What the bound may overrun by on a busy 2-core machine (timers, the response itself). */
const SLACK_MS = 1000;

/**
 * HTTP writes against a database that stops answering (frozen: a TCP proxy holds every
 * byte) or drops the connection (cut): a bounded wait, then `503 unavailable` with
 * `Retry-After`, never a hang and never a 500; nothing that answered 2xx is missing.
 */
describe('HTTP writes when PostgreSQL freezes or is cut', () => {
  let db: TestDatabase;
  let proxy: FaultProxy;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const proxied = await behindFaultProxy(db);
    proxy = proxied.proxy;
    t = await startTestApp({
      database: proxied.database,
      env: { DATABASE_WRITE_TIMEOUT_MS: String(LIMIT_MS) },
    });
  });
  afterAll(async () => {
    proxy.set('pass');
    await t?.close();
    await proxy?.close();
    await db?.drop();
  });

  const owner = 'fred';
  const put = async (taskId: string, status: string) => {
    const started = Date.now();
    const response = await fetch(`${t.url}/tasks/${taskId}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${t.token(owner)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status }),
    });
    const body = (await response.json()) as { code?: string };
    return { status: response.status, code: body.code, retryAfter: response.headers.get('retry-after'), ms: Date.now() - started };
  };

  /** Runs writes through a fault and checks every answer and the store afterwards. */
  const throughFault = async (mode: 'blackhole' | 'reset') => {
    const taskId = ((await t.http('POST', '/tasks', owner, { title: mode })).body as { id: string }).id;
    const statuses = ['in_progress', 'blocked', 'done', 'todo', 'cancelled', 'in_progress'];
    const before = await put(taskId, 'done');
    expect(before.status).toBe(200);
    proxy.set(mode);
    const during = await Promise.all(statuses.map((s) => put(taskId, s)));
    proxy.set('pass');
    for (const answer of during) {
      expect(answer.status).toBe(503);
      expect(answer.code).toBe('unavailable');
      expect(answer.retryAfter).toMatch(/^\d+$/);
      expect(answer.ms).toBeLessThan(LIMIT_MS + SLACK_MS);
    }
    // Back to normal, and what answered 2xx is in the store (read directly, not via the proxy).
    await expectEventually(async () => expect((await put(taskId, 'blocked')).status).toBe(200), 15_000, 200);
    const direct = openPostgres({ url: db.url, poolSize: 1 });
    try {
      const stored = await new EventStore(databaseExecutor(direct.prisma, direct)).read(`task:${taskId}`, 0, 100, 100);
      const tos = stored.filter((e) => e.type === 'task.status_changed').map((e) => (e.payload as { to: string }).to);
      // What answered 2xx is stored, in order. A write answered 503 may still commit once the
      // frozen bytes flow again (503 means "not confirmed", not "not stored"), so entries after
      // 'blocked' can only be among the 503'd ones, and the row agrees with the last of them.
      expect(tos[0]).toBe('done');
      const blocked = tos.indexOf('blocked', 1);
      expect(blocked).toBeGreaterThan(0);
      for (const to of tos.slice(1)) expect(statuses).toContain(to);
      const row = (await t.http('GET', `/tasks/${taskId}`, owner)).body as { status: string };
      expect(row.status).toBe(tos[tos.length - 1]);
    } finally {
      await direct.close();
    }
  };

  it(`a frozen connection: 503 unavailable with Retry-After within ${LIMIT_MS} ms (+ slack), then recovery`, async () => {
    await throughFault('blackhole');
  });

  it('a cut connection: 503 unavailable with Retry-After, never 500, then recovery', async () => {
    await throughFault('reset');
  });
});
