import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { FaultProxy } from '@taskdash/testkit';
import { TEMPLATE_DB_ENV, TEST_DB_PREFIX, TEST_PG_URL, withDatabase } from './test-env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh database for one test file: a clone of the migrated template, or empty. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `${TEST_DB_PREFIX}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const template = process.env[TEMPLATE_DB_ENV];
  if (options.migrated !== false && !template) throw new Error('no template database: run through jest (global setup)');
  await admin((client) =>
    client.query(options.migrated === false ? `CREATE DATABASE "${name}"` : `CREATE DATABASE "${name}" TEMPLATE "${template}"`),
  );
  return {
    name,
    url: withDatabase(TEST_PG_URL, name),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** `pg` clients on a test database, opened on demand and ended together in `afterAll`. */
export function testClients(url: () => string) {
  const clients: Client[] = [];
  return {
    async connect(): Promise<Client> {
      const client = new Client({ connectionString: url() });
      await client.connect();
      clients.push(client);
      return client;
    },
    end: async (): Promise<void> => {
      await Promise.all(clients.map((c) => c.end()));
    },
  };
}

/** Queries on one client, in the shape of the event store's `SqlExecutor`. */
export const clientExecutor = (client: Client) => ({
  query: async <T>(sql: string, params: unknown[]) => (await client.query(sql, params)).rows as T[],
});

/** A fault proxy in front of the database's server, and the database as seen through it. */
export async function behindFaultProxy(database: TestDatabase): Promise<{ proxy: FaultProxy; database: TestDatabase }> {
  const target = new URL(database.url);
  const proxy = await new FaultProxy({ host: target.hostname, port: Number(target.port || 5432) }).start();
  const viaProxy = new URL(database.url);
  viaProxy.host = proxy.url;
  return { proxy, database: { ...database, url: viaProxy.toString() } };
}
