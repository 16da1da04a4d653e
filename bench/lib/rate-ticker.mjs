// The event source shared by the real backend's launcher and the bare Socket.IO server:
// an open-loop stream of events at a commanded rate, generated inside the server process.
// Every `tickMs` it starts, all at once, the events that are due by then (rate/100 per
// 10 ms tick); a late tick catches up in one larger batch, so the offered rate holds even
// when the event loop is busy. Events round-robin over the streams; each is a status change
// of its task cycling todo -> in_progress -> done.
import { performance } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';
import { percentile, round } from './stats.mjs';

const CYCLE = ['todo', 'in_progress', 'done'];
let counter = 0;

/** The next `task.status_changed` over `streams` (names `task:<uuid>`), as a publish input. */
export function nextStatusChange(streams) {
  const n = counter++;
  const stream = streams[n % streams.length];
  const k = Math.floor(n / streams.length) % CYCLE.length;
  return {
    stream,
    type: 'task.status_changed',
    payload: { taskId: stream.slice('task:'.length), from: CYCLE[k], to: CYCLE[(k + 1) % CYCLE.length] },
  };
}

/**
 * Calls `emit()` `rate` times per second for `durationMs`. `emit` may return a promise (the
 * real publisher resolves once the event is stored and handed to the fan-out); at most
 * `maxOutstanding` may be pending, beyond that the offered event is skipped and counted.
 * Resolves once every started event settled.
 */
export async function runAtRate({ rate, durationMs, emit, tickMs = 10, maxOutstanding = 10_000 }) {
  let offered = 0;
  let ok = 0;
  let skipped = 0;
  let outstanding = 0;
  let maxTickLagMs = 0;
  // Publishes the group commit stored together resolve in one go; a pause starts a new batch.
  let batches = 0;
  let lastResolved = 0;
  const failures = {};
  const latencies = [];
  let idle;
  const fail = (error) => {
    const key = error?.code ?? error?.message ?? String(error);
    failures[key] = (failures[key] ?? 0) + 1;
  };
  const started = performance.now();
  let lastTick = started;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      maxTickLagMs = Math.max(maxTickLagMs, now - lastTick - tickMs);
      lastTick = now;
      const elapsed = now - started;
      const due = Math.floor((rate * Math.min(elapsed, durationMs)) / 1000);
      while (offered < due) {
        offered++;
        if (outstanding >= maxOutstanding) {
          skipped++;
          continue;
        }
        const t0 = performance.now();
        let result;
        try {
          result = emit();
        } catch (error) {
          fail(error);
          continue;
        }
        if (typeof result?.then !== 'function') {
          ok++;
          continue;
        }
        outstanding++;
        result
          .then(() => {
            const at = performance.now();
            if (at - lastResolved > 0.5) batches++;
            lastResolved = at;
            ok++;
            latencies.push(at - t0);
          }, fail)
          .finally(() => {
            outstanding--;
            if (outstanding === 0) idle?.();
          });
      }
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, tickMs);
  });
  const sentMs = performance.now() - started;
  if (outstanding > 0) await new Promise((resolve) => (idle = resolve));
  return {
    rate,
    offered,
    skipped,
    ok,
    failures,
    sentMs: round(sentMs),
    achievedPerSec: round((ok / sentMs) * 1000),
    // For the real publisher: publish() to stored and handed to the fan-out.
    publishP50Ms: round(percentile(latencies, 50), 1),
    publishP99Ms: round(percentile(latencies, 99), 1),
    maxTickLagMs: round(maxTickLagMs),
    // Events per stored batch (approximate, from resolve times); 0 when emit is synchronous.
    meanBatch: batches > 0 ? round(latencies.length / batches, 1) : 0,
  };
}

/** This process's memory, after two full collections when Node runs with `--expose-gc`. */
export function memoryNow() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers, collected: typeof globalThis.gc === 'function' };
}
