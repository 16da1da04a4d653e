// Target 1: the publish path (EventPublisher + EventStore on the app's SQL path: `pg` directly
// for PostgreSQL, as websocket.module.ts wires it; events counted in
// its CommittedEvents listener) against raw `pg` inserting the same rows with one
// `INSERT ... SELECT FROM unnest(...)` per batch of the same size. Rounds alternate so
// both sides see the same machine noise; tables are emptied before every round.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { backendRequire, backend } from './lib/backend.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { median, round } from './lib/stats.mjs';

const { Client } = backendRequire('pg');

const EVENTS = Number(process.env.BENCH_PUBLISH_EVENTS ?? 20_000);
const STREAMS = 100;
const ROUNDS = Number(process.env.BENCH_PUBLISH_ROUNDS ?? 5);
/** The backend's own publisher settings, with room for the whole workload at once. */
const OPTIONS = {
  ...backend().DEFAULT_EVENTS_OPTIONS.publisher,
  maxPending: 50_000,
  enqueueTimeoutMs: 30_000,
  storeTimeoutMs: 30_000,
};
const TYPE = 'task.status_changed';

const RAW_SQL = `
INSERT INTO events (stream, seq, id, type, payload, occurred_at)
SELECT stream, seq, id, type, payload::jsonb, occurred_at
FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[])
  AS t(stream, seq, id, type, payload, occurred_at)`;

function workload() {
  const tasks = Array.from({ length: STREAMS }, () => randomUUID());
  return Array.from({ length: EVENTS }, (_, i) => {
    const taskId = tasks[i % STREAMS];
    return { stream: `task:${taskId}`, type: TYPE, payload: { taskId, from: 'todo', to: 'done' } };
  });
}

async function runPublisher(store, EventPublisher) {
  const inputs = workload();
  const publisher = new EventPublisher(store, OPTIONS);
  let emitted = 0;
  publisher.committed.subscribe((events) => {
    emitted += events.length;
  });
  const started = performance.now();
  const envelopes = await Promise.all(inputs.map((input) => publisher.publish(input)));
  const ms = performance.now() - started;
  await publisher.drain();
  if (envelopes.length !== EVENTS || emitted !== EVENTS) {
    throw new Error(`publisher stored ${envelopes.length} and emitted ${emitted} of ${EVENTS}`);
  }
  return ms;
}

async function runRaw(client) {
  const inputs = workload();
  // Allowed by the target: stream rows exist beforehand and the baseline numbers events itself.
  const streams = [...new Set(inputs.map((e) => e.stream))];
  await client.query(`INSERT INTO event_streams (name, epoch) SELECT unnest($1::text[]), gen_random_uuid()`, [
    streams,
  ]);
  const next = new Map(streams.map((s) => [s, 1]));
  const started = performance.now();
  for (let offset = 0; offset < inputs.length; offset += OPTIONS.maxBatchSize) {
    const batch = inputs.slice(offset, offset + OPTIONS.maxBatchSize);
    const seqs = batch.map((e) => {
      const seq = next.get(e.stream);
      next.set(e.stream, seq + 1);
      return seq;
    });
    await client.query(RAW_SQL, [
      batch.map((e) => e.stream),
      seqs,
      batch.map(() => randomUUID()),
      batch.map((e) => e.type),
      batch.map((e) => JSON.stringify(e.payload)),
      batch.map(() => new Date().toISOString()),
    ]);
  }
  return performance.now() - started;
}

export async function run() {
  const db = await createBenchDatabase();
  const { openPostgres } = backend();
  const { EventStore } = backend();
  const { EventPublisher } = backend();
  const { databaseExecutor } = backend();
  const handle = openPostgres({ url: db.url });
  const raw = new Client({ connectionString: db.url });
  try {
    await raw.connect();
    const store = new EventStore(databaseExecutor(handle.prisma, handle));
    const reset = () => raw.query('TRUNCATE events, event_streams');
    const rounds = [];
    for (let i = 0; i <= ROUNDS; i++) {
      // Round 0 warms up both sides (JIT, connections, Prisma's query plan cache) and is not counted.
      await reset();
      const rawMs = await runRaw(raw);
      await reset();
      const publisherMs = await runPublisher(store, EventPublisher);
      if (i > 0)
        rounds.push({
          rawMs: round(rawMs, 1),
          publisherMs: round(publisherMs, 1),
          ratio: round(rawMs / publisherMs, 3),
        });
    }
    const rawPerSec = EVENTS / (median(rounds.map((r) => r.rawMs)) / 1000);
    const publisherPerSec = EVENTS / (median(rounds.map((r) => r.publisherMs)) / 1000);
    const ratio = median(rounds.map((r) => r.ratio));
    return {
      name: 'publish',
      config: { events: EVENTS, streams: STREAMS, rounds: ROUNDS, publisher: OPTIONS },
      rawPerSec: round(rawPerSec),
      publisherPerSec: round(publisherPerSec),
      ratio: round(ratio, 3),
      rounds,
      targets: [
        {
          name: 'publish: stored+emitted events/s vs raw pg unnest',
          measured: `${round(publisherPerSec)}/s vs ${round(rawPerSec)}/s = ${(ratio * 100).toFixed(0)}%`,
          target: '>= 50% of raw',
          pass: ratio >= 0.5,
        },
      ],
    };
  } finally {
    await raw.end().catch(() => undefined);
    await handle.close().catch(() => undefined);
    await db.drop();
  }
}
