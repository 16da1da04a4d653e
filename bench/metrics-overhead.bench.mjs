// Cost of observability on fan-out. Two real backends (lib/backend-launcher.mjs, booted as
// main.ts boots them), each on its own database, with the same 1,000 clients in processes of
// their own, subscribed to 10 of 100 task streams each (as in `fanout`):
// - on:  METRICS_ENABLED=on, health sampled every 2 s (5x the default rate), and /metrics
//        scraped every 5 s (3x as often as Prometheus' default) while it runs;
// - off: METRICS_ENABLED=off, HEALTH_SAMPLE_INTERVAL_MS=0.
// Events are published in each server's process through its EventPublisher (stored, then
// fanned out), the way backend services publish. The sides run one at a time, alternating
// (the order swaps every round), so machine noise hits both alike and neither takes the
// other's cores:
// - at saturation (far more offered than either stores): deliveries/s, on vs off;
// - at a fixed rate below it: deliveries per CPU-second of the server process (a CPU-bound
//   node's capacity is inversely proportional to its CPU per delivery).
// Both also sit idle for a while first: the difference in their CPU is the fixed cost of
// sampling and scraping. Target: >= 97% for both, as the median of the per-round ratios.
// The in-process cost of the hooks, of a scrape and of a health sample are a cross-check.
// Standalone: `pnpm -s build && node bench/metrics-overhead.bench.mjs` writes
// bench/results/metrics-overhead.json; `run()` serves bench/run.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FANOUT_SHAPE, createAudience } from './fanout/audience.mjs';
import {
  DEFAULT_PLAN,
  connectSwarm,
  countOnly,
  createSide,
  step,
  stopSides,
  withoutHistogram,
} from './fanout/fanout-meter.mjs';
import { backendRequire, backend } from './lib/backend.mjs';
import { cpuSeconds } from './lib/cpu.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { signToken, startLauncher } from './lib/server.mjs';
import { median, round } from './lib/stats.mjs';

const CLIENTS = Number(process.env.BENCH_OVERHEAD_CLIENTS ?? 1000);
const PAIRS = Number(process.env.BENCH_OVERHEAD_PAIRS ?? 10);
const STEP_MS = Number(process.env.BENCH_OVERHEAD_STEP_MS ?? 5000);
/** Saturated steps: long enough to fill the publish pipeline (p50 ~1 s there) before measuring. */
const SATURATED = {
  warmMs: Number(process.env.BENCH_OVERHEAD_SAT_WARM_MS ?? 3000),
  windowMs: Number(process.env.BENCH_OVERHEAD_SAT_STEP_MS ?? 6000),
  maxOutstanding: Number(process.env.BENCH_OVERHEAD_SAT_OUTSTANDING ?? 5000),
};
// At saturation everything on the machine wants a core: the server, its database and the client
// processes that count deliveries. Unprioritised, the server got 60-70% of a core and waited
// for one 20-30% of the time, and the round ratios spread from 0.76 to 1.21, far more than the
// 3% to resolve. So for the saturated steps the clients, which only measure, yield (nice 10)
// and the server under test comes first (nice -5, as if it had its own machine); PostgreSQL
// stays at 0. The rounds then spread 0.86-1.07. The fixed-rate steps run at normal priority.
const SATURATED_NICE = {
  clients: Number(process.env.BENCH_OVERHEAD_CLIENT_NICE ?? 10),
  server: Number(process.env.BENCH_OVERHEAD_SERVER_NICE ?? -5),
};

/** Sets the `nice` of both sides' servers and clients; says what could not be set. */
function prioritise(sides, nice) {
  const refused = [];
  const set = (pid, value, what) => {
    try {
      os.setPriority(pid, value);
    } catch (error) {
      // Lowering a nice value needs root or CAP_SYS_NICE.
      refused.push(`${what} ${value}: ${error.code ?? error.message}`);
    }
  };
  for (const side of sides) {
    for (const worker of side.swarm) set(worker.pid, nice.clients, 'clients');
    for (const pid of side.pids) set(pid, nice.server, 'server');
  }
  return [...new Set(refused)];
}
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const TARGET = 0.97;
const SAMPLE_MS = Number(process.env.BENCH_OVERHEAD_SAMPLE_MS ?? 2000);
const SCRAPE_MS = Number(process.env.BENCH_OVERHEAD_SCRAPE_MS ?? 5000);
const IDLE_MS = 10_000;
/**
 * Offered at saturation: more than either side stores, so both skip events and what they
 * deliver is their capacity. Prioritised (below), a server stored up to ~15,000/s here; at
 * 15,000 offered both sides delivered what was offered and the ratio said nothing.
 */
const SATURATING_RATE = Number(process.env.BENCH_OVERHEAD_SATURATING_RATE ?? 30_000);
/** A side stored at most this share of what was offered, or the step was not saturated. */
const SATURATED_SHARE = 0.9;
/** Events/s at fixed load: 100,000 deliveries/s, well below saturation. */
const FIXED_RATE = Number(process.env.BENCH_OVERHEAD_FIXED_RATE ?? 1000);

const SIDES = {
  on: { METRICS_ENABLED: 'on', METRICS_TOKEN, HEALTH_SAMPLE_INTERVAL_MS: String(SAMPLE_MS) },
  off: { METRICS_ENABLED: 'off', HEALTH_SAMPLE_INTERVAL_MS: '0' },
};

const audience = createAudience({ clients: CLIENTS, ...FANOUT_SHAPE });
const PLAN = { ...DEFAULT_PLAN, clientProcs: Number(process.env.BENCH_CLIENT_PROCS ?? 3) };

async function startSide(name) {
  const db = await createBenchDatabase();
  // BENCH_OVERHEAD_CPU_PROFILE_DIR: each server writes a V8 CPU profile there when it exits.
  const profileDir = process.env.BENCH_OVERHEAD_CPU_PROFILE_DIR;
  const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${name}`] : [];
  const backend = await startLauncher(db.url, SIDES[name], { name: `${name}-server`, execArgv });
  const streams = await audience.createTasks(backend.url, signToken('bench-owner'));
  const side = createSide({
    name,
    mode: 'real',
    db,
    url: backend.url,
    pids: [backend.pid],
    streams,
    clients: audience.clientsFor(streams, { withTokens: true }),
    load: backend,
    plan: PLAN,
  });
  return Object.assign(side, {
    async stop() {
      await stopSides([side]);
      await backend.stop();
      await db.drop();
    },
  });
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

/** Scrapes every `SCRAPE_MS` while `body` runs, like an eager Prometheus. */
async function whileScraping(url, scrapes, body) {
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      scrapes.push(round((await scrape(url)).ms, 2));
      await sleep(SCRAPE_MS);
    }
  })();
  try {
    return await body();
  } finally {
    stop = true;
    await loop;
  }
}

/**
 * The same costs measured in this process, without any network or other process in the way:
 * the event-path hooks per call, one /metrics scrape, one health sample's synchronous part.
 * With the step results they give the expected overhead, a check on the noisy ratios.
 */
async function componentCosts() {
  const { Registry } = backendRequire('prom-client');
  const { WebsocketMetricsService } = backend();
  const { collectProcessMetrics } = backend();
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
      ((await cpuUs(() => metrics.emitted(events, audience.subscribersPerStream), 20_000)) +
        (await cpuUs(() => metrics.stored(events), 20_000))) /
        events.length,
      3,
    ),
    scrapeCpuMs: round((await cpuUs(() => registry.metrics(), 200)) / 1000, 3),
  };
}

/** CPU of both servers while nothing but sampling and scraping happens, in % of one core. */
async function idleCpu(on, off, scrapes) {
  const start = { on: cpuSeconds(on.pids[0]), off: cpuSeconds(off.pids[0]), at: Date.now() };
  await whileScraping(on.url, scrapes, () => sleep(IDLE_MS));
  const seconds = (Date.now() - start.at) / 1000;
  const percent = (side) => round(((cpuSeconds(side.pids[0]) - start[side.name]) / seconds) * 100, 2);
  return { on: percent(on), off: percent(off) };
}

/** One step of a side at `rate`, the `on` side scraped meanwhile; deliveries per server CPU-second added. */
async function measuredStep(side, rate, scrapes, options = {}) {
  const run = () => step(side, rate, options.windowMs ?? STEP_MS, audience.subscribersPerStream, options);
  const result = withoutHistogram(side.name === 'on' ? await whileScraping(side.url, scrapes, run) : await run());
  return { ...result, deliveriesPerCpuSec: round(result.deliveriesPerSec / (result.serverCpuPct / 100)) };
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

/** `PAIRS` rounds at `rate`: each side one step, the order swapped every round. */
async function runPairs(on, off, scrapes, rate, label, options) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? [on, off] : [off, on];
    const results = {};
    for (const side of order) results[side.name] = await measuredStep(side, rate, scrapes, options);
    const result = {
      on: results.on,
      off: results.off,
      ratio: round(results.on.deliveriesPerSec / results.off.deliveriesPerSec, 4),
      cpuRatio: round(results.on.deliveriesPerCpuSec / results.off.deliveriesPerCpuSec, 4),
    };
    pairs.push(result);
    console.error(
      `  ${label} round ${i + 1}: on ${results.on.deliveriesPerSec}/s (cpu ${results.on.serverCpuPct}%), ` +
        `off ${results.off.deliveriesPerSec}/s (cpu ${results.off.serverCpuPct}%), ratio ${result.ratio}, ` +
        `per CPU-second ${results.on.deliveriesPerCpuSec} vs ${results.off.deliveriesPerCpuSec} (${result.cpuRatio})`,
    );
  }
  return pairs;
}

export async function run() {
  const loadBefore = os.loadavg().map((l) => round(l, 1));
  const on = await startSide('on');
  const off = await startSide('off');
  try {
    await Promise.all([connectSwarm(on), connectSwarm(off)]);
    const scrapes = [];
    // Warm-up (JIT, connection pools, prepared statements), not counted.
    for (const side of [on, off, on, off]) await measuredStep(side, SATURATING_RATE, [], SATURATED);
    const idle = await idleCpu(on, off, scrapes);
    // At saturation the clients parsing ~1M deliveries/s took more CPU than the server and
    // starved it (runnable but waiting for a core about half the time), so the figure
    // measured the scheduler's split of the cores, not the server: they only count there.
    await Promise.all([countOnly(on, true), countOnly(off, true)]);
    const priorityRefused = prioritise([on, off], SATURATED_NICE);
    const saturated = await runPairs(on, off, scrapes, SATURATING_RATE, 'saturated', SATURATED);
    prioritise([on, off], { clients: 0, server: 0 });
    await Promise.all([countOnly(on, false), countOnly(off, false)]);
    const fixed = await runPairs(on, off, scrapes, FIXED_RATE, `fixed ${FIXED_RATE} ev/s`);
    const final = await scrape(on.url);
    const summary = (pairs) => ({
      deliveriesPerSec: {
        on: median(pairs.map((p) => p.on.deliveriesPerSec)),
        off: median(pairs.map((p) => p.off.deliveriesPerSec)),
      },
      throughputRatio: median(pairs.map((p) => p.ratio)),
      deliveriesPerCpuSecRatio: median(pairs.map((p) => p.cpuRatio)),
      publishedPerSec: {
        on: median(pairs.map((p) => p.on.publishedPerSec)),
        off: median(pairs.map((p) => p.off.publishedPerSec)),
      },
      pairs,
    });
    const sat = summary(saturated);
    // Both sides must have left offered events unstored, or the ratio compares the offered rate with itself.
    const saturatedBoth = Math.max(sat.publishedPerSec.on, sat.publishedPerSec.off) <= SATURATED_SHARE * SATURATING_RATE;
    const healthSample = sampleCost(final.text);
    const components = await componentCosts();
    const fix = summary(fixed);
    const pct = (r) => `${(r * 100).toFixed(1)}%`;
    const spread = (pairs, key = 'ratio') => {
      const ratios = pairs.map((p) => p[key]);
      return `${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}`;
    };
    return {
      name: 'metrics-overhead',
      config: {
        clients: CLIENTS,
        streams: FANOUT_SHAPE.streams,
        subscribersPerStream: audience.subscribersPerStream,
        pairs: PAIRS,
        stepMs: STEP_MS,
        saturatedSteps: SATURATED,
        saturatedNice: priorityRefused.length ? { ...SATURATED_NICE, refused: priorityRefused } : SATURATED_NICE,
        saturatingRateEventsPerSec: SATURATING_RATE,
        fixedRateEventsPerSec: FIXED_RATE,
        load: 'in-process: EventPublisher.publish, rate/100 events every 10 ms; sides one at a time, alternating',
        healthSampleMs: SAMPLE_MS,
        scrapeEveryMs: SCRAPE_MS,
        on: SIDES.on,
        off: SIDES.off,
      },
      idleCpuPercent: idle,
      saturated: sat,
      fixedLoad: fix,
      loadAvg: { before: loadBefore, after: os.loadavg().map((l) => round(l, 1)) },
      healthSample,
      components,
      // Share of a fully used core that observability takes: the fixed cost (idle difference)
      // plus the hooks at the event rate one CPU-second of the off side sustains.
      expectedOverheadPercentOfCore: round(
        idle.on -
          idle.off +
          (components.hooksUsPerEvent * median(fix.pairs.map((p) => p.off.deliveriesPerCpuSec))) /
            audience.subscribersPerStream /
            1e4,
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
          name: `fan-out capacity (deliveries per server CPU-second at ${FIXED_RATE} ev/s), metrics on vs off`,
          measured: `${median(fix.pairs.map((p) => p.on.deliveriesPerCpuSec))} vs ${median(fix.pairs.map((p) => p.off.deliveriesPerCpuSec))} (medians): median round ratio ${pct(fix.deliveriesPerCpuSecRatio)} (rounds ${spread(fix.pairs, 'cpuRatio')})`,
          target: `>= ${TARGET * 100}%`,
          pass: fix.deliveriesPerCpuSecRatio >= TARGET,
        },
        {
          name: 'fan-out deliveries/s at saturation, metrics on vs off',
          measured:
            `${sat.deliveriesPerSec.on}/s vs ${sat.deliveriesPerSec.off}/s: median round ratio ${pct(sat.throughputRatio)} ` +
            `(rounds ${spread(sat.pairs)}); stored ${sat.publishedPerSec.on} vs ${sat.publishedPerSec.off} of ${SATURATING_RATE} events/s offered` +
            `${saturatedBoth ? '' : ' (NOT saturated: no capacity measured)'}` +
            `${priorityRefused.length ? `; priorities not set: ${priorityRefused.join(', ')}` : ''}`,
          target: `>= ${TARGET * 100}%`,
          pass: saturatedBoth && sat.throughputRatio >= TARGET,
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
    `components: hooks ${result.components.hooksUsPerEvent} us/event, scrape ${result.components.scrapeCpuMs} ms CPU; ` +
      `idle CPU on ${result.idleCpuPercent.on}% vs off ${result.idleCpuPercent.off}%; expected overhead ${result.expectedOverheadPercentOfCore}% of a saturated core`,
  );
  console.log('written to bench/results/metrics-overhead.json');
  process.exit(0);
}
