import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvSchema } from '../../apps/backend/src/config/app-config.schema';

const ROOT = join(__dirname, '..', '..');
const TEST_ONLY = ['TEST_DATABASE_URL', 'TEST_REDIS_URL'];
const COMPOSE_ONLY = ['POSTGRES_PASSWORD', 'BACKEND_PORT'];
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every variable the backend reads is in the schema; the docs and .env.example must list the same set. */
describe('configuration reference', () => {
  const keys = Object.keys(EnvSchema.shape);
  const table = new Set([...read('docs/configuration.md').matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]!));
  const example = new Set([...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));

  it('reads the schema', () => {
    expect(keys.length).toBeGreaterThan(40);
  });

  it('docs/configuration.md has a row for every variable, and no row for one that does not exist', () => {
    expect(keys.filter((key) => !table.has(key))).toEqual([]);
    // The test suite's own variables are documented beside the server's.
    expect([...table].filter((key) => !keys.includes(key) && !TEST_ONLY.includes(key))).toEqual([]);
  });

  it('.env.example lists every variable, and none that does not exist', () => {
    expect(keys.filter((key) => !example.has(key))).toEqual([]);
    // docker-compose.yml's own variables (the PostgreSQL password, the published port) live there too.
    expect([...example].filter((key) => !keys.includes(key) && !COMPOSE_ONLY.includes(key))).toEqual([]);
  });
});
