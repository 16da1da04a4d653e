// Target: worker throughput (jobs/s of short jobs that report progress) with the queue
// bridge on is >= 90% of the same worker with the bridge off. Worker and bridge run in one
// backend process (the default QUEUE_WORKER=in-process layout), so the bridge's reading,
// coalescing and publishing compete with the worker for the event loop, and, on one
// machine, PostgreSQL (storing the bridged events) competes with Redis for the cores.
// Rounds alternate off/on on one database so both see the same machine noise. Two shapes:
// - `short`: 10 progress reports, each after ~1 ms of awaited work (a timer): the target;
// - `no-work`: 10 progress reports back to back: the worker does nothing but Redis round
//   trips, the bridge's worst case, reported next to it.
// Besides jobs/s, each round measures CPU time per job of this process, of Redis (a private
// redis-server when installed, so only this benchmark counts) and of the database's
// PostgreSQL backends: on a shared machine wall-clock rates follow the neighbours' load,
// CPU per job much less, and the on-minus-off difference is what bridging a job costs.
//
// Standalone: `pnpm -s build && node bench/queue-bridge.bench.mjs` (writes
// bench/results/queue-bridge.json). As a module: `run()` returns the result like the others.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { backendRequire, backend } from './lib/backend.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { median, round } from './lib/stats.mjs';
import { cpuMeter } from './queue-bridge/cpu.mjs';
import { startRedis } from './queue-bridge/private-redis.mjs';

const { Client } = backendRequire('pg');

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 2000);
const STEPS = Number(process.env.BENCH_QUEUE_STEPS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_QUEUE_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_QUEUE_ROUNDS ?? 3);
const TASKS = 50;
const SHAPES = [
  { name: 'short', stepMs: 1, target: true },
  { name: 'no-work', stepMs: 0, target: false },
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function queueEvents(pg, type) {
  const { rows } = await pg.query(`SELECT count(*)::int AS n FROM events WHERE stream = 'queue:executions' AND type = $1`, [type]);
  return rows[0].n;
}
const completedEvents = (pg) => queueEvents(pg, 'job.completed');

/** One round: a fresh backend and queue, JOBS queued up front, timed from worker start to the last completion. */
async function round1(env, bridge, shape) {
  const { loadConfig } = backend();
  const { openRuntime, closeRuntime } = backend();
  const { createApp } = backend();
  const { AppLogger } = backend();
  const { ExecutionsQueue } = backend();
  const { ExecutionWorker } = backend();
  const { JobHandlerRegistry } = backend();
  const { QueueBridge } = backend();
  const { EventFanout } = backend();
  const prefix = `bench-qb-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: env.db.url,
    REDIS_URL: env.redis.url,
    JWT_SECRET: 'bench-secret-0123456789abcdef-0123456789',
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'json',
    ALLOWED_ORIGINS: 'http://localhost',
    REDIS_KEY_PREFIX: prefix,
    QUEUE_WORKER: 'off', // started below, in this process, once the queue is full
    QUEUE_BRIDGE: bridge ? 'on' : 'off',
  });
  const runtime = await openRuntime(config, new AppLogger({ level: 'error', format: 'json' }));
  const app = await createApp(runtime);
  await app.init();
  let worker;
  try {
    if (bridge) await until(() => app.get(QueueBridge).isLeader, 10_000, 'the bridge lease');
    // Steady state of a node that runs for hours: it has found that no other node listens
    // (EventFanout checks every second) and no longer sends its stored events over Redis.
    await until(() => !app.get(EventFanout).sendsToPeers, 10_000, 'the node to find it is alone');
    const tasks = Array.from({ length: TASKS }, () => randomUUID());
    const data = (i) => ({ taskId: tasks[i % TASKS], steps: STEPS, stepMs: shape.stepMs });
    const jobs = Array.from({ length: JOBS }, (_, i) => ({ name: 'simulated', data: data(i) }));
    const queue = app.get(ExecutionsQueue);
    const waitingBefore = await queueEvents(env.pg, 'job.waiting');
    for (let i = 0; i < jobs.length; i += 500) await queue.bull.addBulk(jobs.slice(i, i + 500));
    const before = await completedEvents(env.pg);
    // Let the bridge publish the `job.waiting` events first, so that only running costs are
    // measured (a fixed pause was too short on a loaded machine: the timed part then included
    // the bridging of 2,000 queued jobs).
    if (bridge) {
      await until(async () => (await queueEvents(env.pg, 'job.waiting')) - waitingBefore >= JOBS, 60_000, 'the bridge to publish every job.waiting');
      await sleep(200);
    }

    worker = new ExecutionWorker({ redis: runtime.redis.client, keyPrefix: prefix, concurrency: CONCURRENCY }, new JobHandlerRegistry());
    let completed = 0;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    const cpu = await cpuMeter({ pg: env.pg, database: env.db.name, redisPid: env.redis.pid });
    const started = performance.now();
    worker.start();
    worker.worker.on('completed', () => ++completed === JOBS && done());
    await finished;
    const workerMs = performance.now() - started;
    let bridgeLagMs = null;
    if (bridge) {
      await until(async () => (await completedEvents(env.pg)) - before >= JOBS, 60_000, 'the bridge to publish every completion');
      bridgeLagMs = performance.now() - started - workerMs;
    }
    const used = await cpu.stop();
    const perJob = (ms) => (ms === null ? null : (ms * 1000) / JOBS);
    return { jobsPerSec: JOBS / (workerMs / 1000), bridgeLagMs, cpuUsPerJob: { node: perJob(used.nodeMs), redis: perJob(used.redisMs), pg: perJob(used.pgMs) } };
  } finally {
    await worker?.close();
    await app.close();
    await runtime.redis.client.eval(`for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end`, 0, `${prefix}:*`);
    await closeRuntime(runtime);
  }
}

const medianOf = (rounds, pick) => {
  const values = rounds.map(pick).filter((v) => v !== null);
  return values.length > 0 ? round(median(values)) : null;
};

async function measure(env, shape) {
  const rounds = [];
  for (let i = 0; i <= ROUNDS; i++) {
    // Round 0 warms up both sides (JIT, connections, Lua script loading) and is not counted.
    const off = await round1(env, false, shape);
    const on = await round1(env, true, shape);
    if (i > 0) rounds.push({ off, on, ratio: on.jobsPerSec / off.jobsPerSec });
  }
  const cpu = (side) => ({
    node: medianOf(rounds, (r) => r[side].cpuUsPerJob.node),
    redis: medianOf(rounds, (r) => r[side].cpuUsPerJob.redis),
    pg: medianOf(rounds, (r) => r[side].cpuUsPerJob.pg),
  });
  return {
    shape: shape.name,
    stepMs: shape.stepMs,
    target: shape.target,
    offJobsPerSec: medianOf(rounds, (r) => r.off.jobsPerSec),
    onJobsPerSec: medianOf(rounds, (r) => r.on.jobsPerSec),
    ratio: round(median(rounds.map((r) => r.ratio)), 3),
    bridgeLagMsMedian: medianOf(rounds, (r) => r.on.bridgeLagMs),
    cpuUsPerJob: { off: cpu('off'), on: cpu('on') },
    rounds: rounds.map((r) => ({ offJobsPerSec: round(r.off.jobsPerSec), onJobsPerSec: round(r.on.jobsPerSec), ratio: round(r.ratio, 3) })),
  };
}

export async function run() {
  const db = await createBenchDatabase();
  const redis = await startRedis();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    const env = { db, redis, pg };
    const shapes = [];
    for (const shape of SHAPES) shapes.push(await measure(env, shape));
    return {
      name: 'queue-bridge',
      config: { jobs: JOBS, progressPerJob: STEPS, concurrency: CONCURRENCY, rounds: ROUNDS, tasks: TASKS, worker: 'in-process', privateRedis: redis.private },
      shapes,
      targets: shapes.map((s) => ({
        name: `queue-bridge: worker jobs/s, bridge on vs off (${s.shape} jobs${s.target ? '' : ', worst case'})`,
        measured: `${s.onJobsPerSec}/s vs ${s.offJobsPerSec}/s = ${(s.ratio * 100).toFixed(0)}%`,
        target: s.target ? '>= 90% of off' : '- (informative)',
        pass: s.target ? s.ratio >= 0.9 : true,
      })),
    };
  } finally {
    await pg.end().catch(() => undefined);
    await redis.stop();
    await db.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run();
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}queue-bridge.json`, `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  for (const s of result.shapes) {
    const { off, on } = s.cpuUsPerJob;
    console.log(`${s.shape}: ${s.onJobsPerSec} vs ${s.offJobsPerSec} jobs/s (${(s.ratio * 100).toFixed(0)}%), bridge lag ${s.bridgeLagMsMedian} ms`);
    console.log(`  CPU us/job off: node ${off.node} redis ${off.redis} pg ${off.pg} | on: node ${on.node} redis ${on.redis} pg ${on.pg}`);
  }
  for (const t of result.targets) console.log(`${t.target.startsWith('-') ? 'INFO' : t.pass ? 'PASS' : 'FAIL'} ${t.name}: ${t.measured} (target ${t.target})`);
}
