// Measuring fan-out, shared by the `fanout` and `twonodes` benchmarks. A side is a server
// set-up under test: its client processes (`swarm`), the worker that generates its events
// in-process (`load`: the bare server itself or the real backend's launcher), the server
// processes whose CPU is metered (`pids`) and its streams. Sides are measured alternately,
// step by step, so machine noise hits them alike.
// - saturation: the offered rate is ramped until deliveries stop keeping up; the best
//   deliveries/s seen is the side's saturation throughput;
// - latency: sides run at one given rate and the p99 of publish-to-receive latency
//   (receive time minus the envelope's occurredAt) is compared.
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMeter, waitMeter } from '../lib/cpu.mjs';
import { histogramPercentile, mergeHistogram, round } from '../lib/stats.mjs';
import { startWorker } from '../lib/worker.mjs';

/** @default settings of a measurement; each benchmark may override some. */
export const DEFAULT_PLAN = {
  clientProcs: 3,
  /** Connections each client process opens at once. */
  connectLanes: 50,
  warmMs: 750,
  stepMs: 2000,
  latencyRounds: 2,
  latencyMs: 3000,
  /** Events per second of the first ramp step; each next step offers `rampFactor` times more. */
  rampStart: 200,
  rampFactor: 1.5,
  rampMaxSteps: 12,
  /** A step keeps up when it delivers at least this share of what was offered. */
  keepsUp: 0.85,
};

const callAll = (workers, cmd, args, timeoutMs) =>
  Promise.all(workers.map((w) => w.call(cmd, args, timeoutMs)));
export const log = (line) => console.error(`  ${line}`);

/** Throughput-only steps: the side's clients count envelopes without parsing (no latencies). */
export const countOnly = (side, fast) => callAll(side.swarm, 'counting', { fast });

/**
 * A side with its client processes. `clients`: `{ token?, streams, url? }` each (a client
 * without `url` connects to `url`); `mode`: `real` (auth + subscribe) or `bare` (join).
 */
export function createSide({ name, mode, url, pids, streams, clients, load, plan, db }) {
  return {
    name,
    db,
    mode,
    url,
    pids,
    streams,
    clients,
    load,
    plan,
    steps: [],
    swarm: Array.from({ length: plan.clientProcs }, (_, p) =>
      startWorker('fanout/client-swarm.mjs', { name: `${name}-clients-${p}` }),
    ),
  };
}

export async function connectSwarm(side) {
  const started = Date.now();
  const procs = side.swarm.length;
  await Promise.all(
    side.swarm.map((worker, p) =>
      worker.call(
        'connect',
        {
          url: side.url,
          mode: side.mode,
          clients: side.clients.filter((_, i) => i % procs === p),
          concurrency: side.plan.connectLanes,
        },
        300_000,
      ),
    ),
  );
  side.connectMs = Date.now() - started;
  log(`${side.name}: ${side.clients.length} clients connected and subscribed in ${side.connectMs} ms`);
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

/**
 * One step at `rate` events/s; deliveries/s and latency over its steady part (after warmMs).
 * `options` may override the plan's `warmMs` and the publisher's `maxOutstanding` (events
 * offered but not yet stored, beyond which offered events are skipped).
 */
export async function step(side, rate, windowMs, subscribersPerStream, options = {}) {
  const warmMs = options.warmMs ?? side.plan.warmMs;
  await callAll(side.swarm, 'total', { reset: true });
  const running = side.load.call(
    'run',
    { rate, durationMs: warmMs + windowMs, streams: side.streams, maxOutstanding: options.maxOutstanding },
    120_000,
  );
  await sleep(warmMs);
  const cpus = side.pids.map((pid) => cpuMeter(pid));
  const waits = side.pids.map((pid) => waitMeter(pid));
  const clientCpus = side.swarm.map((worker) => cpuMeter(worker.pid));
  const dbCpus = side.db ? (await side.db.pids()).map((pid) => cpuMeter(pid)) : [];
  const marks = await callAll(side.swarm, 'mark');
  await sleep(windowMs);
  const windows = await callAll(side.swarm, 'collect');
  const serverCpuPct = cpus.map((cpu) => cpu.stop());
  const serverWaitPct = waits.map((wait) => wait.stop());
  const clientCpuPct = clientCpus.reduce((sum, cpu) => sum + cpu.stop(), 0);
  const dbCpuPct = dbCpus.reduce((sum, cpu) => sum + (cpu.stop() || 0), 0);
  const load = await running;
  const { count: total, connected } = await settle(side.swarm);
  const measuredMs = Math.max(...windows.map((w) => w.at)) - Math.min(...marks.map((m) => m.at));
  const delivered = windows.reduce((sum, w) => sum + w.count, 0);
  const messages = windows.reduce((sum, w) => sum + w.messages, 0);
  const histogram = windows.reduce((into, w) => mergeHistogram(into, w.histogram), {});
  const result = {
    offeredEventsPerSec: rate,
    offeredDeliveriesPerSec: rate * subscribersPerStream,
    publishedPerSec: load.achievedPerSec,
    publishP99Ms: load.publishP99Ms,
    skipped: load.skipped,
    failures: load.failures,
    maxTickLagMs: load.maxTickLagMs,
    deliveriesPerSec: round((delivered / measuredMs) * 1000),
    // Envelopes per socket message: the real backend emits each stored batch's run of a
    // stream as one message; the bare server one event per message.
    envelopesPerMessage: round(delivered / Math.max(1, messages), 2),
    meanBatch: load.meanBatch,
    meanWriteMs: load.meanWriteMs,
    p50Ms: histogramPercentile(histogram, 50),
    p99Ms: histogramPercentile(histogram, 99),
    serverCpuPct: serverCpuPct.length === 1 ? serverCpuPct[0] : serverCpuPct,
    // The event loop thread runnable but not running: starved by other work on the machine.
    serverRunQueuePct: serverWaitPct.length === 1 ? serverWaitPct[0] : serverWaitPct,
    /** All client processes together, in % of one core. */
    clientCpuPct,
    /** PostgreSQL processes serving the bench database, in % of one core. */
    dbCpuPct,
    // Every published event must reach all of its stream's subscribers.
    missing: load.ok * subscribersPerStream - total,
    connected,
    histogram,
  };
  const failed = Object.values(load.failures).reduce((sum, n) => sum + n, 0);
  log(
    `${side.name.padEnd(4)} ${String(rate).padStart(5)} ev/s offered: ${result.deliveriesPerSec} deliveries/s, ` +
      `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.envelopesPerMessage} per message, ` +
      `published ${result.publishedPerSec}/s` +
      `${load.meanBatch ? ` (publish p99 ${load.publishP99Ms} ms, mean batch ${load.meanBatch}, mean INSERT ${load.meanWriteMs} ms)` : ''}` +
      `${load.skipped || failed ? `, skipped ${load.skipped}, failed ${failed}` : ''}, ` +
      `server cpu ${[].concat(result.serverCpuPct).join('+')}% (waiting for a cpu ${serverWaitPct.join('+')}%), clients cpu ${clientCpuPct}%, db cpu ${dbCpuPct}%, ` +
      `missing ${result.missing}` +
      `${connected < side.clients.length ? `, only ${connected} connected` : ''}`,
  );
  return result;
}

export const withoutHistogram = ({ histogram: _, ...rest }) => rest;

/**
 * Ramps the sides together. A side is done after two steps in a row that do not keep up
 * (the second confirms its capacity), or once it lost clients; the best deliveries/s it
 * showed is its saturation.
 */
export async function ramp(sides, subscribersPerStream) {
  const { rampStart, rampFactor, rampMaxSteps, keepsUp, stepMs } = sides[0].plan;
  const behind = new Map(sides.map((side) => [side, 0]));
  const active = () => sides.filter((side) => behind.get(side) < 2);
  for (let i = 0, rate = rampStart; i < rampMaxSteps && active().length > 0; i++, rate *= rampFactor) {
    for (const side of active()) {
      const result = withoutHistogram(await step(side, Math.round(rate), stepMs, subscribersPerStream));
      side.steps.push(result);
      const lost = result.connected < side.clients.length;
      const keeps = result.deliveriesPerSec >= keepsUp * result.offeredDeliveriesPerSec;
      behind.set(side, lost ? 2 : keeps ? 0 : behind.get(side) + 1);
    }
  }
  for (const side of sides) {
    side.saturation = side.steps.reduce((best, s) => (s.deliveriesPerSec > best.deliveriesPerSec ? s : best));
    side.saturationDeliveriesPerSec = side.saturation.deliveriesPerSec;
  }
}

/** "N/s (E per message)" of a side's saturation step. */
export const saturationText = (side) =>
  `${side.saturationDeliveriesPerSec}/s (${side.saturation.envelopesPerMessage} per message)`;

/** The sides at the same rate, alternating, histograms merged per side. */
export async function latency(sides, rate, subscribersPerStream) {
  const { latencyRounds, latencyMs } = sides[0].plan;
  const merged = new Map(sides.map((side) => [side, { histogram: {}, runs: [] }]));
  for (let r = 0; r < latencyRounds; r++) {
    for (const side of sides) {
      const result = await step(side, rate, latencyMs, subscribersPerStream);
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

/** Events/s the side takes with nobody subscribed: its publish path alone. */
export async function publishCeiling(side, rate, durationMs) {
  const cpus = side.pids.map((pid) => cpuMeter(pid));
  const load = await side.load.call('run', { rate, durationMs, streams: side.streams }, 120_000);
  const serverCpuPct = cpus.map((cpu) => cpu.stop());
  log(
    `${side.name.padEnd(4)} no subscribers: ${load.achievedPerSec} events/s published of ${rate} offered` +
      `${load.meanBatch ? ` (publish p99 ${load.publishP99Ms} ms, mean batch ${load.meanBatch}, mean INSERT ${load.meanWriteMs} ms)` : ''}, server cpu ${serverCpuPct.join('+')}%`,
  );
  return {
    offeredPerSec: rate,
    publishedPerSec: load.achievedPerSec,
    publishP99Ms: load.publishP99Ms,
    meanBatch: load.meanBatch,
    meanWriteMs: load.meanWriteMs,
    skipped: load.skipped,
    failures: load.failures,
    serverCpuPct: serverCpuPct.length === 1 ? serverCpuPct[0] : serverCpuPct,
  };
}

export const sideReport = (side) => ({
  connectMs: side.connectMs,
  publishOnly: side.publishOnly,
  saturationDeliveriesPerSec: side.saturationDeliveriesPerSec,
  steps: side.steps,
  latency: side.latency,
});

export async function stopSides(sides) {
  await Promise.all(sides.flatMap((side) => side.swarm.map((w) => w.stop())));
}
