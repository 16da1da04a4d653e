import type { Pool, PoolClient } from 'pg';
import { TEST_PG_URL } from '../../../../test/test-env';
import { openPool } from './database.factory';

// A connection handed out by the pool and ended by the server before its holder runs a
// query must not crash the process (pg_terminate_backend in the chaos suite did, on two
// nodes at once). Real PostgreSQL, a real terminated backend.
describe('openPool', () => {
  let pool: Pool;
  let admin: Pool;

  beforeEach(() => {
    pool = openPool({ url: TEST_PG_URL, poolSize: 2 });
    admin = openPool({ url: TEST_PG_URL, poolSize: 1 });
  });
  afterEach(async () => {
    await Promise.all([pool.end(), admin.end()]);
  });

  const pidOf = async (client: PoolClient): Promise<number> =>
    (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  it('gives every connection an error listener that stays on while it is checked out', async () => {
    const counted = await new Promise<number>((resolve, reject) => {
      pool.connect((error, client, release) => {
        if (error || !client) return reject(error ?? new Error('no client'));
        // Synchronously, as the pool hands it over: pg-pool's own idle listener is gone here.
        const listeners = client.listenerCount('error');
        release();
        resolve(listeners);
      });
    });
    expect(counted).toBeGreaterThanOrEqual(1);
  });

  it('survives the server ending a checked-out connection that runs no query, then replaces it', async () => {
    const client = await pool.connect();
    const pid = await pidOf(client);
    // Not events.once: it would reject on the very `error` event this is about.
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
    // The holder finds out on its next query, as a rejection rather than a process exit.
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release();
    const next = await pool.connect();
    try {
      expect(await pidOf(next)).not.toBe(pid);
    } finally {
      next.release();
    }
  });
});
