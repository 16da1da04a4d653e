import { Client } from 'pg';
import type { RedisCluster } from '@taskdash/testkit';
import { TEMPLATE_DB_ENV, TEST_PG_URL } from './test-env';

/** Drops the template database of this run (test files drop their own clones). */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { taskdashRedisCluster?: RedisCluster }).taskdashRedisCluster?.stop();
  const name = process.env[TEMPLATE_DB_ENV];
  if (!name) return;
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
