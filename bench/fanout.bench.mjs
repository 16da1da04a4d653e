// Target 2: fan-out. 1,000 clients in separate processes, each subscribed to 10 of 100
// task streams (every stream has exactly 100 subscribers), receive status changes that a
// load process drives over HTTP. Two servers run side by side, each with its own client
// swarm and load generator: a bare Socket.IO server (the baseline) and the real backend.
// The load alternates between them step by step, so machine noise hits both alike.
// - saturation: the offered rate is ramped until deliveries stop keeping up; the best
//   deliveries/s seen is the server's saturation throughput;
// - latency: both then run at half the bare server's saturation rate, and the p99 of
//   publish-to-receive latency (receive time minus the envelope's occurredAt) is compared.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMeter } from './lib/cpu.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { api, signToken, startBackend } from './lib/server.mjs';
import { histogramPercentile, mergeHistogram, round } from './lib/stats.mjs';
import { startWorker } from './lib/worker.mjs';

const CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 1000);
const STREAMS = 100;
const PER_CLIENT = 10;
const GROUPS = STREAMS / PER_CLIENT;
const CLIENT_PROCS = Number(process.env.BENCH_CLIENT_PROCS ?? 3);
const MAX_IN_FLIGHT = 64;
const WARM_MS = 1000;
const STEP_MS = 3000;
const LATENCY_ROUNDS = 2;
const LATENCY_MS = 4000;
const RAMP_START = 50; // events per second
const RAMP_FACTOR = 1.5;
const RAMP_MAX_STEPS = 12;
/** A step keeps up when it delivers at least this share of what was offered. */
const KEEPS_UP = 0.85;
/** Offered to measure the HTTP publish path alone (no subscribers): more than either can take. */
const FLOOD_RATE = 3000;

const users = Array.from({ length: CLIENTS }, (_, i) => `bench-user-${i}`);
/** User i sees the 10 streams of group i % 10; stream t has the users of group t % 10. */
const streamIndexesOf = (user) => Array.from({ length: PER_CLIENT }, (_, j) => (user % GROUPS) + GROUPS * j);
const subscribersPerStream = CLIENTS / GROUPS;

const callAll = (workers, cmd, args) => Promise.all(workers.map((w) => w.call(cmd, args)));
const log = (line) => console.error(`  ${line}`);

async function connectSwarm(side) {
  const started = Date.now();
  await Promise.all(
    side.swarm.map((worker, p) => {
      const clients = [];
      for (let i = p; i < CLIENTS; i += CLIENT_PROCS) {
        clients.push({
          token: side.mode === 'real' ? signToken(users[i]) : undefined,
          streams: streamIndexesOf(i).map((t) => `task:${side.taskIds[t]}`),
        });
      }
      return worker.call('connect', { url: side.url, mode: side.mode, clients }, 300_000);
    }),
  );
  side.connectMs = Date.now() - started;
  log(`${side.mode}: ${CLIENTS} clients connected and subscribed in ${side.connectMs} ms`);
}

/** Waits until no client received anything for 300 ms (at most 15 s); returns the total. */
async function settle(swarm) {
  let last = -1;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const totals = await callAll(swarm, 'total');
    const count = totals.reduce((sum, t) => sum + t.count, 0);
    const connected = totals.reduce((sum, t) => sum + t.connected, 0);
    if (count === last || Date.now() > deadline) return { count, connected };
    last = count;
    await sleep(300);
  }
}

/** One step at `rate` events/s; deliveries/s and latency over its steady part (after WARM_MS). */
async function step(side, rate, windowMs) {
  await callAll(side.swarm, 'total', { reset: true });
  const running = side.load.call('run', { rate, durationMs: WARM_MS + windowMs });
  await sleep(WARM_MS);
  const cpu = cpuMeter(side.pid);
  const marks = await callAll(side.swarm, 'mark');
  await sleep(windowMs);
  const windows = await callAll(side.swarm, 'collect');
  const serverCpuPct = cpu.stop();
  const http = await running;
  const { count: total, connected } = await settle(side.swarm);
  const measuredMs = Math.max(...windows.map((w) => w.at)) - Math.min(...marks.map((m) => m.at));
  const delivered = windows.reduce((sum, w) => sum + w.count, 0);
  const histogram = windows.reduce((into, w) => mergeHistogram(into, w.histogram), {});
  const result = {
    offeredEventsPerSec: rate,
    offeredDeliveriesPerSec: rate * subscribersPerStream,
    httpOkPerSec: http.achievedPerSec,
    httpP99Ms: http.httpP99Ms,
    httpFailures: http.failures,
    deliveriesPerSec: round((delivered / measuredMs) * 1000),
    p50Ms: histogramPercentile(histogram, 50),
    p99Ms: histogramPercentile(histogram, 99),
    serverCpuPct,
    // Every successful status change must reach all of its stream's subscribers.
    missing: http.ok * subscribersPerStream - total,
    connected,
    histogram,
  };
  log(
    `${side.mode.padEnd(4)} ${String(rate).padStart(5)} ev/s offered: ${result.deliveriesPerSec} deliveries/s, ` +
      `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, http ${result.httpOkPerSec} ok/s (p99 ${result.httpP99Ms} ms), ` +
      `server cpu ${serverCpuPct}%, missing ${result.missing}`,
  );
  return result;
}

const withoutHistogram = ({ histogram: _, ...rest }) => rest;

/** The publish path alone: status changes with nobody subscribed, as fast as 64 in flight allow. */
async function httpCeiling(side) {
  const cpu = cpuMeter(side.pid);
  const http = await side.load.call('run', { rate: FLOOD_RATE, durationMs: STEP_MS });
  const serverCpuPct = cpu.stop();
  log(
    `${side.mode.padEnd(4)} no subscribers: ${http.achievedPerSec} status changes/s (http p99 ${http.httpP99Ms} ms), server cpu ${serverCpuPct}%`,
  );
  return { okPerSec: http.achievedPerSec, httpP99Ms: http.httpP99Ms, serverCpuPct, failures: http.failures };
}

/**
 * Ramps both sides together. A side is done after two steps in a row that do not keep up
 * (the second confirms its capacity); the best deliveries/s it showed is its saturation.
 */
async function ramp(sides) {
  const behind = new Map(sides.map((side) => [side, 0]));
  const active = () => sides.filter((side) => behind.get(side) < 2);
  for (let i = 0, rate = RAMP_START; i < RAMP_MAX_STEPS && active().length > 0; i++, rate *= RAMP_FACTOR) {
    for (const side of active()) {
      const result = withoutHistogram(await step(side, Math.round(rate), STEP_MS));
      side.steps.push(result);
      const keepsUp = result.deliveriesPerSec >= KEEPS_UP * result.offeredDeliveriesPerSec;
      behind.set(side, keepsUp ? 0 : behind.get(side) + 1);
    }
  }
  for (const side of sides)
    side.saturationDeliveriesPerSec = Math.max(...side.steps.map((s) => s.deliveriesPerSec));
}

/** Both sides at the same rate, alternating, histograms merged per side. */
async function latency(sides, rate) {
  const merged = new Map(sides.map((side) => [side, { histogram: {}, runs: [] }]));
  for (let round_ = 0; round_ < LATENCY_ROUNDS; round_++) {
    for (const side of sides) {
      const result = await step(side, rate, LATENCY_MS);
      const into = merged.get(side);
      mergeHistogram(into.histogram, result.histogram);
      into.runs.push(withoutHistogram(result));
    }
  }
  for (const side of sides) {
    const { histogram, runs } = merged.get(side);
    side.latency = {
      rate,
      p50Ms: histogramPercentile(histogram, 50),
      p99Ms: histogramPercentile(histogram, 99),
      maxMs: histogramPercentile(histogram, 100),
      missing: runs.reduce((sum, r) => sum + r.missing, 0),
      runs,
    };
  }
}

function startSide(mode, url, pid, taskIds, token) {
  return {
    mode,
    url,
    pid,
    taskIds,
    token,
    steps: [],
    swarm: Array.from({ length: CLIENT_PROCS }, (_, p) =>
      startWorker('fanout/client-swarm.mjs', { name: `${mode}-clients-${p}` }),
    ),
    load: startWorker('fanout/load-generator.mjs', { name: `${mode}-load` }),
  };
}

const report = (side) => ({
  connectMs: side.connectMs,
  httpOnly: side.httpOnly,
  saturationDeliveriesPerSec: side.saturationDeliveriesPerSec,
  steps: side.steps,
  latency: side.latency,
});

export async function run() {
  const db = await createBenchDatabase();
  const bareServer = startWorker('fanout/bare-server.mjs', { name: 'bare-server' });
  let backend;
  const sides = [];
  try {
    const { port } = await bareServer.call('listen');
    // The bare server keeps no tasks; any ids of the same shape will do.
    const bareTasks = Array.from({ length: STREAMS }, () => randomUUID());
    sides.push(startSide('bare', `http://127.0.0.1:${port}`, bareServer.pid, bareTasks, undefined));

    backend = await startBackend(db.url);
    const owner = signToken('bench-owner');
    const taskIds = [];
    for (let t = 0; t < STREAMS; t++) {
      const members = users.filter((_, i) => i % GROUPS === t % GROUPS);
      taskIds.push(
        (await api(backend.url, 'POST', '/tasks', owner, { title: `bench task ${t}`, members })).id,
      );
    }
    sides.push(startSide('real', backend.url, backend.pid, taskIds, owner));

    for (const side of sides) {
      await side.load.call('init', {
        url: side.url,
        token: side.token,
        taskIds: side.taskIds,
        maxInFlight: MAX_IN_FLIGHT,
      });
      side.httpOnly = await httpCeiling(side);
    }
    for (const side of sides) await connectSwarm(side);
    await ramp(sides);
    const [bare, real] = sides;
    const latencyRate = Math.round(bare.saturationDeliveriesPerSec / 2 / subscribersPerStream);
    await latency(sides, latencyRate);

    const throughputRatio = real.saturationDeliveriesPerSec / bare.saturationDeliveriesPerSec;
    const latencyLimit = 2 * bare.latency.p99Ms + 10;
    return {
      name: 'fanout',
      config: {
        clients: CLIENTS,
        streams: STREAMS,
        streamsPerClient: PER_CLIENT,
        subscribersPerStream,
        clientProcesses: CLIENT_PROCS,
        maxInFlight: MAX_IN_FLIGHT,
      },
      bare: report(bare),
      real: report(real),
      throughputRatio: round(throughputRatio, 3),
      targets: [
        {
          name: 'fan-out: deliveries/s at saturation vs bare Socket.IO',
          measured: `${real.saturationDeliveriesPerSec}/s vs ${bare.saturationDeliveriesPerSec}/s = ${(throughputRatio * 100).toFixed(0)}%`,
          target: '>= 70% of bare',
          pass: throughputRatio >= 0.7,
        },
        {
          name: `fan-out: p99 latency at ${latencyRate} ev/s = ${latencyRate * subscribersPerStream} deliveries/s (half bare saturation)`,
          measured: `${real.latency.p99Ms} ms vs bare ${bare.latency.p99Ms} ms${real.latency.missing ? `, ${real.latency.missing} missing` : ''}`,
          target: `<= 2x bare + 10 ms = ${latencyLimit} ms`,
          pass: real.latency.p99Ms <= latencyLimit && real.latency.missing === 0,
        },
      ],
    };
  } finally {
    await Promise.all(sides.flatMap((side) => [side.load.stop(), ...side.swarm.map((w) => w.stop())]));
    await bareServer.stop();
    await backend?.stop();
    await db.drop();
  }
}
