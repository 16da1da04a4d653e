// Agent output: one execution writes 50 MiB as fast as it can while 20 viewers, each in a
// client process of its own, watch its stream. Measured in the same run: the output rate
// the same writer reaches piped to /dev/null (the ceiling), the rate at which every viewer
// received the output (first output event to the last byte), and the backend's peak RSS.
// Standalone after `pnpm -s build`: `node bench/agent-output.bench.mjs` writes
// bench/results/agent-output.json. Knobs: BENCH_AGENT_BYTES, BENCH_AGENT_VIEWERS,
// BENCH_AGENT_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` for the backend).
import { spawn } from 'node:child_process';
import { clearInterval, setInterval } from 'node:timers';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createBenchDatabase } from './lib/database.mjs';
import { api, signToken, startBackend } from './lib/server.mjs';
import { median, round } from './lib/stats.mjs';
import { startWorker } from './lib/worker.mjs';

const BYTES = Number(process.env.BENCH_AGENT_BYTES ?? 50 * 1024 * 1024);
const VIEWERS = Number(process.env.BENCH_AGENT_VIEWERS ?? 20);
const WRITER = fileURLToPath(new URL('./agent-output/writer.mjs', import.meta.url));
const RESULT = fileURLToPath(new URL('./results/agent-output.json', import.meta.url));
const MiB = 1024 * 1024;
const OWNER = 'bench-agent-owner';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The writer with stdout to /dev/null: how fast the process itself can produce. */
function baseline() {
  return new Promise((resolve, reject) => {
    const devNull = openSync('/dev/null', 'w');
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [WRITER, String(BYTES)], { stdio: ['ignore', devNull, 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => {
      closeSync(devNull);
      if (code !== 0) return reject(new Error(`writer exited with ${code}`));
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

/** The bytes the writer produces, hashed (what every viewer must end up with). */
function expectedHash() {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const child = spawn(process.execPath, [WRITER, String(BYTES)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => hash.update(chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(hash.digest('hex')) : reject(new Error(`writer exited with ${code}`))));
  });
}

/** Samples the backend's resident memory (VmRSS) until stopped; VmHWM gives the lifetime peak. */
function sampleRss(pid) {
  const read = (field) => Number(/(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0) * 1024;
  let peak = 0;
  const baselineRss = read('VmRSS:');
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, read('VmRSS:'));
    } catch {
      // the process is gone
    }
  }, 20);
  return { baselineRss, stop: () => (clearInterval(timer), { peak, hwm: read('VmHWM:') }) };
}

async function startViewers(url, token) {
  const viewers = Array.from({ length: VIEWERS }, (_, i) => startWorker('agent-output/viewer.mjs', { name: `viewer-${i}` }));
  await Promise.all(viewers.map((viewer) => viewer.call('connect', { url, token })));
  return viewers;
}

async function waitFinished(viewers, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reports = await Promise.all(viewers.map((viewer) => viewer.call('report')));
    if (reports.every((r) => r.finished)) return reports;
    if (Date.now() > deadline) throw new Error(`${reports.filter((r) => !r.finished).length} viewers unfinished after ${timeoutMs} ms`);
    await sleep(200);
  }
}

export async function run() {
  const db = await createBenchDatabase();
  const prefix = `bench-agent-${process.pid}`;
  const server = await startBackend(db.url, {
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    EXECUTION_PROFILES: JSON.stringify({ writer: [process.execPath, WRITER, '{prompt}'] }),
    MAX_CONNECTIONS_PER_USER: '1000',
    ...JSON.parse(process.env.BENCH_AGENT_ENV ?? '{}'),
  }, (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean));
  let viewers = [];
  try {
    const [baselineMs, hash] = [await baseline(), await expectedHash()];
    const token = signToken(OWNER);
    viewers = await startViewers(server.url, token);
    const task = await api(server.url, 'POST', '/tasks', token, { title: 'agent output bench' });
    const rss = sampleRss(server.pid);
    const started = Date.now();
    const execution = await api(server.url, 'POST', `/tasks/${task.id}/executions`, token, { profile: 'writer', prompt: String(BYTES) });
    await Promise.all(viewers.map((viewer) => viewer.call('watch', { stream: execution.stream })));
    const reports = await waitFinished(viewers, 10 * 60_000);
    const memory = rss.stop();
    const snapshot = await api(server.url, 'GET', `/executions/${execution.id}`, token);
    const runMs = Date.parse(snapshot.finishedAt) - Date.parse(snapshot.startedAt);
    const total = snapshot.outputBytes; // whole lines: a little over BYTES
    const perViewer = reports.map((r) => total / ((r.lastAt - started) / 1000));
    const baselineRate = total / (baselineMs / 1000);
    const slowest = Math.min(...perViewer);
    const exact = reports.every((r) => r.sha256 === hash && r.gaps === 0 && r.skipped.length === 0 && r.bytes === total);
    const result = {
      name: 'agent-output',
      config: { bytes: BYTES, viewers: VIEWERS, clientProcesses: VIEWERS, cpus: os.cpus().length },
      baseline: { ms: round(baselineMs, 1), bytesPerSec: round(baselineRate) },
      execution: { id: execution.id, status: snapshot.status, runMs, outputBytes: snapshot.outputBytes, processBytesPerSec: round(total / (runMs / 1000)) },
      viewers: {
        minBytesPerSec: round(slowest),
        medianBytesPerSec: round(median(perViewer)),
        maxBytesPerSec: round(Math.max(...perViewer)),
        exact,
        skipped: reports.reduce((sum, r) => sum + r.skipped.length, 0),
        lastByteAfterFinishMs: round(median(reports.map((r) => r.lastAt - Date.parse(snapshot.finishedAt)))),
      },
      ratioToBaseline: round(slowest / baselineRate, 3),
      server: { baselineRssBytes: rss.baselineRss, peakRssBytes: memory.peak, vmHwmBytes: memory.hwm },
    };
    const mbps = (rate) => `${(rate / MiB).toFixed(1)} MiB/s`;
    console.error(
      `  ${VIEWERS} viewers: slowest ${mbps(slowest)}, median ${mbps(median(perViewer))}; /dev/null ${mbps(baselineRate)}; server peak RSS ${(memory.peak / MiB).toFixed(0)} MiB; exact: ${exact}`,
    );
    result.targets = [
      {
        name: `agent output: ${BYTES / MiB} MiB to ${VIEWERS} viewers, every byte to every viewer`,
        measured: `${exact ? 'exact' : 'NOT exact'}; slowest viewer ${mbps(slowest)} (${round((slowest / baselineRate) * 100, 1)}% of /dev/null ${mbps(baselineRate)})`,
        target: 'exact',
        pass: exact,
      },
      {
        name: 'agent output: server peak RSS',
        measured: `${(memory.peak / MiB).toFixed(0)} MiB (from ${(rss.baselineRss / MiB).toFixed(0)} MiB)`,
        target: '< 512 MiB',
        pass: memory.peak < 512 * MiB,
      },
    ];
    return result;
  } finally {
    await Promise.all(viewers.map((viewer) => viewer.stop()));
    await server.stop();
    await db.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run();
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(RESULT, `${JSON.stringify({ startedAt: new Date().toISOString(), node: process.version, ...result }, null, 2)}\n`);
  console.log(JSON.stringify(result.targets, null, 2));
  console.log('written to bench/results/agent-output.json');
  process.exit(0);
}
