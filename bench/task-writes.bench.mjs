// Transactional publishing over HTTP: `PUT /tasks/:id/status` on one backend
// (`node dist/main.js`), where the row change and its event commit in one transaction.
// - ceiling: closed loop, CONCURRENCY requests in flight over TASKS tasks, for DURATION_S:
//   status changes answered 2xx per second, and publish-to-receive latency (request sent ->
//   the event on a socket subscribed to every task stream).
// - offered load: open loop at fixed rates (600/s and 1500/s, the rates a new user tried);
//   above the ceiling the server must shed with 503 and keep answering, not refuse connections.
import { performance } from 'node:perf_hooks';
import { rootRequire } from './lib/backend.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { api, signToken, startBackend } from './lib/server.mjs';
import { percentile, round } from './lib/stats.mjs';

const { io } = rootRequire('socket.io-client');

const TASKS = Number(process.env.BENCH_WRITES_TASKS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_WRITES_CONCURRENCY ?? 32);
const DURATION_S = Number(process.env.BENCH_WRITES_DURATION_S ?? 8);
const RATES = [600, 1500];
const RATE_S = 5;
const TARGET_P99_MS = 250;
const STATUSES = ['todo', 'in_progress', 'blocked', 'done', 'cancelled'];
const log = (line) => console.error(`  ${line}`);

function watcher(url, token, streams) {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}/events`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    socket.once('connect_error', reject);
    socket.once('connect', () => {
      socket.timeout(30_000).emit('subscribe', { streams: streams.map((stream) => ({ stream })) }, (error, answer) =>
        error || !answer.ok ? reject(error ?? new Error(JSON.stringify(answer))) : resolve(socket),
      );
    });
  });
}

export async function run() {
  const db = await createBenchDatabase();
  const backend = await startBackend(db.url, { HTTP_MAX_CONCURRENT_WRITES: '32', HTTP_MAX_QUEUED_WRITES: '256' });
  let socket;
  try {
    const token = signToken('writer');
    const tasks = [];
    for (let i = 0; i < TASKS; i++) tasks.push((await api(backend.url, 'POST', '/tasks', token, { title: `w${i}` })).id);
    socket = await watcher(backend.url, token, tasks.map((id) => `task:${id}`));
    const current = new Map(tasks.map((id) => [id, 'todo']));
    /** Sent-at per expected `taskId:to`, matched by the socket. */
    const sentAt = new Map();
    const latencies = [];
    socket.on('events', (events) => {
      const now = performance.now();
      for (const event of events) {
        if (event.type !== 'task.status_changed') continue;
        const key = `${event.payload.taskId}:${event.payload.to}`;
        const at = sentAt.get(key);
        if (at !== undefined) {
          latencies.push(now - at);
          sentAt.delete(key);
        }
      }
    });
    let next = 0;
    const change = async () => {
      const taskId = tasks[next++ % tasks.length];
      const from = current.get(taskId);
      const to = STATUSES[(STATUSES.indexOf(from) + 1) % STATUSES.length];
      current.set(taskId, to);
      sentAt.set(`${taskId}:${to}`, performance.now());
      try {
        const response = await globalThis.fetch(`${backend.url}/tasks/${taskId}/status`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status: to }),
        });
        await response.arrayBuffer();
        return response.status;
      } catch {
        return 'refused';
      }
    };

    // Closed loop: the ceiling.
    const counts = {};
    const ends = performance.now() + DURATION_S * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < ends) {
          const status = await change();
          counts[status] = (counts[status] ?? 0) + 1;
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ceiling = round((counts[200] ?? 0) / DURATION_S);
    const p50 = round(percentile(latencies, 50), 1);
    const p99 = round(percentile(latencies, 99), 1);
    log(`ceiling: ${ceiling} status changes/s (answers ${JSON.stringify(counts)}), publish-to-receive p50 ${p50} ms p99 ${p99} ms`);

    // Open loop at fixed offered rates.
    const offered = [];
    for (const rate of RATES) {
      const answers = {};
      const pending = [];
      const started = performance.now();
      for (let i = 0; performance.now() - started < RATE_S * 1000; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        pending.push(change().then((status) => (answers[status] = (answers[status] ?? 0) + 1)));
      }
      await Promise.all(pending);
      const took = (performance.now() - started) / 1000;
      const row = { offered: rate, ok: round((answers[200] ?? 0) / took), shed503: answers[503] ?? 0, refused: answers.refused ?? 0, other: Object.entries(answers).filter(([k]) => !['200', '503', 'refused'].includes(k)) };
      log(`offered ${rate}/s: ${row.ok}/s answered 200, ${row.shed503} shed with 503, ${row.refused} connections refused`);
      offered.push(row);
    }
    return {
      name: 'task-writes',
      config: { tasks: TASKS, concurrency: CONCURRENCY, durationSec: DURATION_S, rates: RATES },
      ceilingPerSec: ceiling,
      answers: counts,
      publishToReceiveP50Ms: p50,
      publishToReceiveP99Ms: p99,
      offered,
      targets: [
        {
          name: `transactional publish over HTTP: status changes/s at ${CONCURRENCY} in flight (the write ceiling), publish-to-receive p99`,
          measured: `${ceiling}/s, p99 ${p99} ms (p50 ${p50})`,
          target: `p99 <= ${TARGET_P99_MS} ms, no 5xx but 503`,
          pass: p99 <= TARGET_P99_MS && Object.keys(counts).every((k) => k === '200' || k === '503'),
        },
        {
          name: 'above the ceiling (600/s and 1500/s offered): shed with 503, never refuse connections',
          measured: offered.map((r) => `${r.offered}/s: ${r.ok}/s ok, ${r.shed503} x 503, ${r.refused} refused`).join('; '),
          target: '0 refused, 0 other errors',
          pass: offered.every((r) => r.refused === 0 && r.other.length === 0),
        },
      ],
    };
  } finally {
    socket?.disconnect();
    await backend.stop();
    await db.drop();
  }
}
