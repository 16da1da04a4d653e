/** Where the integration tests find the real services (the local ones unless told otherwise). */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEMPLATE_DB_ENV = 'TASKDASH_TEMPLATE_DB';
export const TEST_DB_PREFIX = 'taskdash_test_';
export const TEST_JWT_SECRET = 'integration-tests-secret-0123456789abcdef';

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Set by the global setup: a three-primary Redis Cluster that the test run started itself. */
export const TEST_REDIS_CLUSTER_ENV = 'TASKDASH_TEST_REDIS_CLUSTER_URL';

/** The Redis set-ups the multi-node tests run on. */
export type TestRedis = 'standalone' | 'cluster';
export const TEST_REDIS_TARGETS: TestRedis[] = ['standalone', 'cluster'];

/** The backend's Redis settings for one set-up. */
export function redisEnv(target: TestRedis): { REDIS_URL: string; REDIS_MODE: TestRedis } {
  if (target === 'standalone') return { REDIS_URL: TEST_REDIS_URL, REDIS_MODE: 'standalone' };
  const url = process.env[TEST_REDIS_CLUSTER_ENV];
  if (!url) throw new Error('no Redis Cluster: run through jest (global setup starts one)');
  return { REDIS_URL: url, REDIS_MODE: 'cluster' };
}
