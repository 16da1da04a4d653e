import { Client } from 'pg';
import { openPostgres } from '../apps/backend/src/database/database.factory';
import { migrate } from '../apps/backend/src/database/migrator';
import { startRedisCluster, type RedisCluster } from '@taskdash/testkit';
import { TEMPLATE_DB_ENV, TEST_DB_PREFIX, TEST_PG_URL, TEST_REDIS_CLUSTER_ENV, withDatabase } from './test-env';

/** The run's Redis Cluster, for the teardown: a global, which is what jest shares between the two. */
export const clusterHolder = globalThis as { taskdashRedisCluster?: RedisCluster };

/**
 * Makes one migrated template database per run; every test file clones it
 * (`CREATE DATABASE ... TEMPLATE`, a few ms) so files never share state.
 */
export default async function globalSetup(): Promise<void> {
  const name = `${TEST_DB_PREFIX}tpl_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const database = openPostgres({ url: withDatabase(TEST_PG_URL, name), poolSize: 1 });
  const session = await database.openSession();
  try {
    await migrate(session);
  } finally {
    await session.release();
    await database.close();
  }
  process.env[TEMPLATE_DB_ENV] = name;
  // Three primaries on free ports, started and checked to be ours (about 3 s).
  clusterHolder.taskdashRedisCluster = await startRedisCluster({ primaries: 3 });
  process.env[TEST_REDIS_CLUSTER_ENV] = clusterHolder.taskdashRedisCluster.url;
}
