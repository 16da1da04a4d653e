// `pnpm bench`: runs each benchmark in its own process, prints one table of targets with
// PASS/FAIL and writes bench/results/latest.json. `BENCH_ONLY=publish,replay` runs a subset.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startWorker } from './lib/worker.mjs';

const BENCHES = {
  publish: 'publish.bench.mjs',
  fanout: 'fanout.bench.mjs',
  replay: 'replay.bench.mjs',
  revocation: 'revocation.bench.mjs',
  sockets: 'sockets.bench.mjs',
  reconnect: 'reconnect.bench.mjs',
  twonodes: 'twonodes.bench.mjs',
  fournodes: 'fournodes.bench.mjs',
  'queue-bridge': 'queue-bridge.bench.mjs',
  'metrics-overhead': 'metrics-overhead.bench.mjs',
  'agent-output': 'agent-output.bench.mjs',
  'task-writes': 'task-writes.bench.mjs',
  jwks: 'jwks.bench.mjs',
};
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

function selected() {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  return only.length > 0 ? only : Object.keys(BENCHES);
}

const round1 = (value) => Math.round(value * 10) / 10;

function gitRevision() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !==
      '';
    return `${commit}${dirty ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function runOne(name) {
  const host = startWorker('lib/bench-host.mjs', { name });
  const started = Date.now();
  // Other work on the machine skews every figure; keep the load next to the result.
  const loadAvgBefore = round1(os.loadavg()[0]);
  try {
    const result = await host.call('run', { module: BENCHES[name] }, 10 * 60_000);
    return {
      ...result,
      durationSec: Math.round((Date.now() - started) / 1000),
      loadAvgBefore,
      loadAvgAfter: round1(os.loadavg()[0]),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${name} failed: ${message}`);
    const firstLine = message.split('\n')[0];
    return {
      name,
      error: message,
      targets: [{ name, measured: `error: ${firstLine}`, target: '-', pass: false }],
    };
  } finally {
    await host.stop();
  }
}

function printTable(results) {
  const rows = results.flatMap((r) =>
    r.targets.map((t) => [t.name, t.measured, t.target, t.info ? 'info' : t.pass ? 'PASS' : 'FAIL']),
  );
  const header = ['benchmark', 'measured', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));
}

const names = selected();
const startedAt = new Date();
console.error(`bench: ${names.join(', ')} on ${os.cpus().length} cores, Node ${process.version}`);
const results = [];
for (const name of names) {
  console.error(`${name}...`);
  results.push(await runOne(name));
}
printTable(results);
const cores = os.cpus().length;
const busiest = Math.max(...results.map((r) => Math.max(r.loadAvgBefore ?? 0, r.loadAvgAfter ?? 0)));
if (busiest > cores) {
  console.log(
    `\nnote: the 1-minute load average reached ${busiest} on ${cores} cores; other work on the machine makes these figures noisy.`,
  );
}
const report = {
  startedAt: startedAt.toISOString(),
  durationSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
  revision: gitRevision(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    node: process.version,
    loadAvg: os.loadavg(),
  },
  passed: results.every((r) => r.targets.every((t) => t.pass)),
  results,
};
mkdirSync(RESULTS, { recursive: true });
writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwritten to bench/results/latest.json (${report.durationSec} s)`);
// A crashed benchmark fails the command; a missed target does only with BENCH_STRICT=1.
const crashed = results.some((r) => r.error);
process.exit(crashed || (process.env.BENCH_STRICT === '1' && !report.passed) ? 1 : 0);
