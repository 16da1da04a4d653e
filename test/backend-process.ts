import { resolve } from 'node:path';
import { spawnBackend, type BackendProcess } from '@taskdash/testkit';
import { TEST_JWT_SECRET, TEST_REDIS_URL } from './test-env';

export type { BackendProcess };

const MAIN = resolve(__dirname, '../apps/backend/dist/main.js');

/**
 * The compiled backend (`pnpm build`, which `pnpm test` runs first) as a separate process:
 * what a second node really is. It shares the test's database and Redis prefix.
 */
export function startBackendProcess(env: { DATABASE_URL: string; REDIS_KEY_PREFIX: string } & Record<string, string>): Promise<BackendProcess> {
  return spawnBackend({
    main: MAIN,
    env: {
      NODE_ENV: 'test',
      REDIS_URL: TEST_REDIS_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ALLOWED_ORIGINS: 'http://allowed.example',
      ...env,
    },
  });
}
