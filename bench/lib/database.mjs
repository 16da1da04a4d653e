// A fresh, migrated database per benchmark, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { backend, backendRequire } from './backend.mjs';

const { Client } = backendRequire('pg');

/** Server to create bench databases on. @default the local PostgreSQL, trust auth */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function admin(sql, params) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/**
 * `CREATE DATABASE bench_<random>`, migrated with the backend's own migrator.
 * @returns {{ name: string, url: string, drop: () => Promise<void>, pids: () => Promise<number[]> }}
 */
export async function createBenchDatabase() {
  const name = `bench_${randomBytes(8).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = withDatabase(ADMIN_URL, name);
  const drop = () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  try {
    const { openPostgres } = backend();
    const { migrate } = backend();
    const handle = openPostgres({ url, poolSize: 1 });
    const session = await handle.openSession();
    try {
      await migrate(session);
    } finally {
      await session.release();
      await handle.close();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  /** PostgreSQL server processes serving this database now (to meter their CPU). */
  const pids = async () =>
    (await admin('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).map((row) => row.pid);
  return { name, url, drop, pids };
}
