// The event rate generator, the same for both servers: an open-loop stream of
// `PUT /tasks/:id/status` at a given rate over keep-alive connections, round-robin over
// the tasks and cycling each task's status so every request is a real change. At most
// `maxInFlight` requests are outstanding; beyond that the offered load is skipped and
// shows up as a lower achieved rate.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { setInterval, clearInterval } from 'node:timers';
import { performance } from 'node:perf_hooks';
import { percentile, round } from '../lib/stats.mjs';
import { serveWorker } from '../lib/worker.mjs';

const CYCLE = ['in_progress', 'done', 'todo'];

let target;
let agent;
let counter = 0;

function request(taskId, status) {
  const body = JSON.stringify({ status });
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        method: 'PUT',
        path: `/tasks/${taskId}/status`,
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({
            ok: response.statusCode === 200,
            status: response.statusCode,
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', (error) =>
      resolve({ ok: false, status: error.message, ms: performance.now() - started }),
    );
    req.end(body);
  });
}

serveWorker({
  async init({ url, token, taskIds, maxInFlight = 64 }) {
    const parsed = new URL(url);
    target = { host: parsed.hostname, port: Number(parsed.port), token, taskIds };
    agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
    target.maxInFlight = maxInFlight;
    return { ok: true };
  },
  /** Offers `rate` requests per second for `durationMs`; resolves once all answered. */
  async run({ rate, durationMs }) {
    const { taskIds, maxInFlight } = target;
    let offered = 0;
    let skipped = 0;
    let inFlight = 0;
    const latencies = [];
    const failures = {};
    let ok = 0;
    const outstanding = new Set();
    const started = performance.now();
    const send = () => {
      const n = counter++;
      const taskId = taskIds[n % taskIds.length];
      const status = CYCLE[Math.floor(n / taskIds.length) % CYCLE.length];
      inFlight++;
      const done = request(taskId, status).then((result) => {
        inFlight--;
        outstanding.delete(done);
        latencies.push(result.ms);
        if (result.ok) ok++;
        else failures[result.status] = (failures[result.status] ?? 0) + 1;
      });
      outstanding.add(done);
    };
    await new Promise((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - started;
        const due = Math.floor((rate * Math.min(elapsed, durationMs)) / 1000);
        while (offered < due) {
          offered++;
          if (inFlight < maxInFlight) send();
          else skipped++;
        }
        if (elapsed >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 2);
    });
    const sentMs = performance.now() - started;
    await Promise.all(outstanding);
    return {
      rate,
      offered,
      skipped,
      ok,
      failures,
      sentMs: round(sentMs),
      achievedPerSec: round((ok / sentMs) * 1000),
      httpP50Ms: round(percentile(latencies, 50), 1),
      httpP99Ms: round(percentile(latencies, 99), 1),
    };
  },
  async close() {
    agent?.destroy();
  },
});
