// Provisions the programs the test suite needs besides Node, PostgreSQL and Redis:
// Chromium (the dashboard's browser tests), Prometheus' promtool (metrics and Grafana
// checks), and redis-server and redis-cli (the Redis Cluster the tests start). When one is
// missing and this user may install Debian packages (root, or sudo without a password), it
// installs them with apt-get; otherwise it says exactly what to run
// and exits 1, so that `pnpm test` never fails later for a reason it could have named first.
// `pnpm test` and .ci/run both call it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const missing = [];
if (!onPath('promtool')) missing.push('prometheus');
// The test run starts a three-primary Redis Cluster of its own (test/global-setup.ts).
if (!onPath('redis-server') || !onPath('redis-cli')) missing.push('redis-server');
if (!existsSync(CHROMIUM)) missing.push('chromium');
if (missing.length === 0) process.exit(0);

const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!onPath('apt-get') || (!root && !sudo)) {
  console.error(`The tests need ${missing.join(' and ')}, which are missing. Install them, e.g. on Debian/Ubuntu:`);
  console.error(`  sudo sh -c '${command}'`);
  if (missing.includes('chromium')) console.error('or point CHROMIUM_PATH at a Chromium or Chrome binary.');
  process.exit(1);
}

console.log(`installing ${missing.join(' and ')} for the tests (${command})`);
const shell = root ? ['sh', ['-c', command]] : ['sudo', ['-n', 'sh', '-c', command]];
const installed = spawnSync(shell[0], shell[1], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  timeout: 600_000,
});
if (installed.status !== 0) {
  console.error(`could not install ${missing.join(' and ')}; run: sudo sh -c '${command}'`);
  process.exit(1);
}
