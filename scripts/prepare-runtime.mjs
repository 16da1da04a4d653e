// Makes a fresh clone runnable with no separate set-up step: installs dependencies when
// they are missing or the lockfile changed, generates the Prisma client when the schema
// changed, and builds the packages and the backend (swc, about a second).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

const installed = 'node_modules/.modules.yaml';
if (!existsSync(installed) || mtime('pnpm-lock.yaml') > mtime(installed)) {
  run('pnpm', ['install', '--frozen-lockfile', '--reporter=silent']);
}
const generated = 'apps/backend/src/generated/prisma/client.ts';
if (!existsSync(generated) || mtime('prisma/schema.prisma') > mtime(generated)) {
  run('node', ['scripts/prisma-generate.mjs']);
}
run('pnpm', ['-s', 'build']);
