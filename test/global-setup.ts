import { Client } from 'pg';
import { openPostgres } from '../apps/backend/src/database/database.factory';
import { migrate } from '../apps/backend/src/database/migrator';
import { TEMPLATE_DB_ENV, TEST_DB_PREFIX, TEST_PG_URL, withDatabase } from './test-env';

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
}
