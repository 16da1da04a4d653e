// `pnpm build` runs on every `pnpm start` and `pnpm test`: rebuild the dashboard only when
// a source it is built from is newer than the last build (a Vite build takes seconds).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('..', import.meta.url).pathname;
const sources = ['src', 'public', 'index.html', 'vite.config.mjs', 'package.json', '../../packages/client/src', '../../packages/contract/src'];
const built = join(here, 'dist/index.html');

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const force = process.argv.includes('--force');
const stale = force || !existsSync(built) || sources.some((source) => newest(join(here, source)) > statSync(built).mtimeMs);
if (stale) {
  // Vite's own entry, so this runs outside a pnpm script too (tests call it directly).
  const vite = join(here, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: here, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
