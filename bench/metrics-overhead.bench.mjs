// Cost of observability on fan-out. Two real backends run side by side, each on its own
// database with its own clients and load process:
// - on:  METRICS_ENABLED=on, health sampled every second (10x the default rate), and /metrics
//        scraped every second (Prometheus' default is 15 s) while it is under load;
// - off: METRICS_ENABLED=off, HEALTH_SAMPLE_INTERVAL_MS=0.
// The load alternates between them in ABBA order (`PUT /tasks/:id/status`, every change
// reaching 50 subscribers), twice over:
// - at saturation (as many requests as 64 in flight allow): deliveries/s, on vs off;
// - at the same fixed rate on both (half the off side's saturation): deliveries per CPU-second
//   of the server process. A CPU-bound node's capacity is inversely proportional to its CPU per
//   delivery, and at equal load both sides batch alike, so this ratio is the steadier one.
// Target: >= 97%, as the median of per-pair ratios. The in-process cost of the hooks, a scrape
// and a health sample give the expected overhead as a cross-check. On a shared machine the
// ratios only hold when nothing else runs (the load average is recorded with the result).
// Standalone: `pnpm -s build && node bench/metrics-overhead.bench.mjs` writes
// bench/results/metrics-overhead.json; `run()` serves bench/run.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { backendRequire, dist } from './lib/backend.mjs';
import { cpuSeconds } from './lib/cpu.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { api, signToken, startBackend } from './lib/server.mjs';
import { median, round } from './lib/stats.mjs';
import { startWorker } from './lib/worker.mjs';

// Fewer clients than the fan-out bench: on two cores the client processes would otherwise
// take the CPU the servers need, and the comparison would measure scheduling.
const CLIENTS = Number(process.env.BENCH_OVERHEAD_CLIENTS ?? 200);
const PAIRS = Number(process.env.BENCH_OVERHEAD_PAIRS ?? 10);
const STEP_MS = Number(process.env.BENCH_OVERHEAD_STEP_MS ?? 2500);
const STREAMS = 40;
const PER_CLIENT = 10;
const GROUPS = STREAMS / PER_CLIENT;
const SUBSCRIBERS = CLIENTS / GROUPS;
const WARM_MS = 1000;
const MAX_IN_FLIGHT = 64;
/** Far above what two cores can serve: the in-flight cap makes the load closed-loop. */
const SATURATING_RATE = 100_000;
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const TARGET = 0.97;

const SIDES = {
  on: { METRICS_ENABLED: 'on', METRICS_TOKEN, HEALTH_SAMPLE_INTERVAL_MS: '1000' },
  off: { METRICS_ENABLED: 'off', HEALTH_SAMPLE_INTERVAL_MS: '0' },
};

const users = Array.from({ length: CLIENTS }, (_, i) => `overhead-user-${i}`);
const streamIndexesOf = (user) => Array.from({ length: PER_CLIENT }, (_, j) => (user % GROUPS) + GROUPS * j);
const callAll = (workers, cmd, args) => Promise.all(workers.map((w) => w.call(cmd, args)));

async function startSide(name) {
  const db = await createBenchDatabase();
  const server = await startBackend(db.url, {
    ...SIDES[name],
    CONNECTIONS_PER_SECOND_PER_IP: '100000',
    MAX_CONNECTIONS_PER_USER: '100',
  });
  const owner = signToken('overhead-owner');
  const taskIds = [];
  for (let t = 0; t < STREAMS; t++) {
    const members = users.filter((_, i) => i % GROUPS === t % GROUPS);
    taskIds.push((await api(server.url, 'POST', '/tasks', owner, { title: `overhead ${t}`, members })).id);
  }
  const swarm = [startWorker('fanout/client-swarm.mjs', { name: `${name}-clients` })];
  const clients = users.map((user, i) => ({
    token: signToken(user),
    streams: streamIndexesOf(i).map((t) => `task:${taskIds[t]}`),
  }));
  await swarm[0].call('connect', { url: server.url, mode: 'real', clients }, 180_000);
  const load = startWorker('fanout/load-generator.mjs', { name: `${name}-load` });
  await load.call('init', { url: server.url, token: owner, taskIds, maxInFlight: MAX_IN_FLIGHT });
  return {
    name,
    server,
    swarm,
    load,
    async stop() {
      await Promise.all([load.stop(), ...swarm.map((w) => w.stop())]);
      await server.stop();
      await db.drop();
    },
  };
}

async function scrape(url) {
  const started = performance.now();
  const response = await globalThis.fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return { text, ms: performance.now() - started };
}

/** Scrapes every second while `body` runs, like a (very eager) Prometheus. */
async function whileScraping(url, scrapes, body) {
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      scrapes.push(round((await scrape(url)).ms, 2));
      await sleep(1000);
    }
  })();
  try {
    return await body();
  } finally {
    stop = true;
    await loop;
  }
}

/** Waits until no client received anything for 300 ms (at most 15 s). */
async function settle(swarm) {
  let last = -1;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const count = (await callAll(swarm, 'total')).reduce((sum, t) => sum + t.count, 0);
    if (count === last || Date.now() > deadline) return;
    last = count;
    await sleep(300);
  }
}

/**
 * The same costs measured in this process, without any network or other process in the way:
 * the event-path hooks per call, one /metrics scrape, one health sample's synchronous part.
 * With the step results they give the expected overhead, a check on the noisy ratios.
 */
async function componentCosts() {
  const { Registry } = backendRequire('prom-client');
  const { WebsocketMetricsService } = dist('monitoring/websocket-metrics.service.js');
  const { collectProcessMetrics } = dist('monitoring/process-metrics.util.js');
  const registry = new Registry();
  const metrics = new WebsocketMetricsService(registry);
  collectProcessMetrics(registry);
  const occurredAt = new Date().toISOString();
  const events = Array.from({ length: 10 }, (_, seq) => ({
    id: 'x',
    stream: 'task:x',
    seq,
    epoch: 'e',
    type: 'task.status_changed',
    occurredAt,
    payload: {},
  }));
  const cpuUs = async (fn, n) => {
    for (let i = 0; i < n / 10; i++) await fn(); // warm
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) await fn();
    const used = process.cpuUsage(start);
    return round((used.user + used.system) / n, 3);
  };
  return {
    hooksUsPerEvent: round(
      ((await cpuUs(() => metrics.emitted(events, SUBSCRIBERS), 20_000)) +
        (await cpuUs(() => metrics.stored(events), 20_000))) /
        events.length,
      3,
    ),
    scrapeCpuMs: round((await cpuUs(() => registry.metrics(), 200)) / 1000, 3),
  };
}

/**
 * One saturating step: deliveries/s over the steady part, HTTP answers/s, and deliveries per
 * CPU-second of the server process. The last is the steadier figure on a shared machine: it
 * does not move when another process takes a core away, the throughput does.
 */
async function step(side, rate = SATURATING_RATE) {
  await callAll(side.swarm, 'total', { reset: true });
  const cpu0 = cpuSeconds(side.server.pid);
  const t0 = Date.now();
  const running = side.load.call('run', { rate, durationMs: STEP_MS });
  await sleep(WARM_MS);
  const marks = await callAll(side.swarm, 'mark');
  await sleep(STEP_MS - WARM_MS);
  const windows = await callAll(side.swarm, 'collect');
  const http = await running;
  await settle(side.swarm);
  const cpu = cpuSeconds(side.server.pid) - cpu0;
  const total = (await callAll(side.swarm, 'total')).reduce((sum, t) => sum + t.count, 0);
  const windowMs = Math.max(...windows.map((w) => w.at)) - Math.min(...marks.map((m) => m.at));
  const delivered = windows.reduce((sum, w) => sum + w.count, 0);
  return {
    deliveriesPerSec: round((delivered / windowMs) * 1000),
    httpOkPerSec: http.achievedPerSec,
    cpuPercent: round((cpu / ((Date.now() - t0) / 1000)) * 100),
    deliveriesPerCpuSec: round(total / cpu),
  };
}

/** Average synchronous cost of a health sample, from the server's own histogram. */
function sampleCost(text) {
  const value = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN);
  const count = value('taskdash_health_sample_duration_seconds_count');
  return {
    samples: count,
    avgMs: round((value('taskdash_health_sample_duration_seconds_sum') / count) * 1000, 4),
  };
}

/** `PAIRS` pairs of steps at `rate`, in ABBA order; each pair gives an on/off ratio. */
async function runPairs(on, off, scrapes, rate, label) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    // ABBA: whichever side goes second in a pair goes first in the next.
    const order = i % 2 === 0 ? [off, on] : [on, off];
    const result = {};
    for (const side of order) {
      result[side.name] =
        side === on
          ? await whileScraping(on.server.url, scrapes, () => step(on, rate))
          : await step(off, rate);
    }
    result.ratio = round(result.on.deliveriesPerSec / result.off.deliveriesPerSec, 4);
    result.cpuRatio = round(result.on.deliveriesPerCpuSec / result.off.deliveriesPerCpuSec, 4);
    pairs.push(result);
    console.error(
      `  ${label} pair ${i + 1}: on ${result.on.deliveriesPerSec}/s (cpu ${result.on.cpuPercent}%), ` +
        `off ${result.off.deliveriesPerSec}/s (cpu ${result.off.cpuPercent}%), ratio ${result.ratio}, ` +
        `per CPU-second ${result.on.deliveriesPerCpuSec} vs ${result.off.deliveriesPerCpuSec} (${result.cpuRatio})`,
    );
  }
  return pairs;
}

export async function run() {
  const on = await startSide('on');
  const off = await startSide('off');
  try {
    const scrapes = [];
    // Warm-up (JIT, connection pools, Prisma's plan cache), not counted; it also finds the
    // rate for the fixed-load pairs: half of what the off side delivers at saturation.
    const calibration = await step(off);
    await whileScraping(on.server.url, [], () => step(on));
    const fixedRate = round(calibration.deliveriesPerSec / SUBSCRIBERS / 2);
    const saturated = await runPairs(on, off, scrapes, SATURATING_RATE, 'saturated');
    const fixed = await runPairs(on, off, scrapes, fixedRate, `fixed ${fixedRate} ev/s`);
    const final = await scrape(on.server.url);
    const summary = (pairs) => ({
      deliveriesPerSec: {
        on: median(pairs.map((p) => p.on.deliveriesPerSec)),
        off: median(pairs.map((p) => p.off.deliveriesPerSec)),
      },
      throughputRatio: median(pairs.map((p) => p.ratio)),
      deliveriesPerCpuSecRatio: median(pairs.map((p) => p.cpuRatio)),
      pairs,
    });
    const sat = summary(saturated);
    const healthSample = sampleCost(final.text);
    const components = await componentCosts();
    const eventsPerSec = sat.deliveriesPerSec.on / SUBSCRIBERS;
    const fix = summary(fixed);
    const pct = (r) => `${(r * 100).toFixed(1)}%`;
    return {
      name: 'metrics-overhead',
      config: {
        clients: CLIENTS,
        streams: STREAMS,
        subscribersPerStream: SUBSCRIBERS,
        pairs: PAIRS,
        stepMs: STEP_MS,
        maxInFlight: MAX_IN_FLIGHT,
        fixedRateEventsPerSec: fixedRate,
        on: SIDES.on,
        off: SIDES.off,
      },
      saturated: sat,
      fixedLoad: fix,
      loadAvg: os.loadavg().map((l) => round(l, 1)),
      healthSample,
      components,
      // CPU the observability adds per second of saturated load, over what the off side used.
      expectedOverheadPercent: round(
        ((components.hooksUsPerEvent * eventsPerSec +
          components.scrapeCpuMs * 1000 +
          healthSample.avgMs * 1000) /
          (median(saturated.map((p) => p.off.cpuPercent)) * 1e4)) *
          100,
        2,
      ),
      metricsScrape: {
        count: scrapes.length,
        medianMs: median(scrapes),
        maxMs: Math.max(...scrapes),
        bytes: final.text.length,
      },
      targets: [
        {
          // What a CPU-bound node can serve is inversely proportional to its CPU per delivery;
          // measured at the same offered load on both sides, so batching is the same too.
          name: 'fan-out capacity (deliveries per server CPU-second at equal load), metrics on vs off',
          measured: `${fix.pairs.map((p) => p.on.deliveriesPerCpuSec).join('/')} vs ${fix.pairs.map((p) => p.off.deliveriesPerCpuSec).join('/')}: median pair ratio ${pct(fix.deliveriesPerCpuSecRatio)}`,
          target: `>= ${TARGET * 100}%`,
          pass: fix.deliveriesPerCpuSecRatio >= TARGET,
        },
        {
          name: 'fan-out deliveries/s at saturation, metrics on vs off',
          measured: `${sat.deliveriesPerSec.on}/s vs ${sat.deliveriesPerSec.off}/s: median pair ratio ${pct(sat.throughputRatio)}`,
          target: `>= ${TARGET * 100}%`,
          pass: sat.throughputRatio >= TARGET,
        },
      ],
    };
  } finally {
    await Promise.allSettled([on.stop(), off.stop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run();
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}metrics-overhead.json`,
    `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`,
  );
  for (const t of result.targets)
    console.log(`${t.name}: ${t.measured} (target ${t.target}) ${t.pass ? 'PASS' : 'FAIL'}`);
  console.log(
    `health sample: ${result.healthSample.avgMs} ms on average over ${result.healthSample.samples} samples`,
  );
  console.log(
    `/metrics scrape: median ${result.metricsScrape.medianMs} ms, ${result.metricsScrape.bytes} bytes`,
  );
  console.log(
    `components: hooks ${result.components.hooksUsPerEvent} us/event, scrape ${result.components.scrapeCpuMs} ms CPU; expected overhead ${result.expectedOverheadPercent}%`,
  );
  console.log('written to bench/results/metrics-overhead.json');
  process.exit(0);
}
