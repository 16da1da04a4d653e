// Target 3: replay. A task stream holds 10,000 events the client missed (stored through
// the real publisher before the server starts); one client reconnects with its old
// position, again and again, and we time subscribe-emit to the arrival of the last one.
import { randomUUID } from 'node:crypto';
import { backend } from './lib/backend.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { signToken, startBackend } from './lib/server.mjs';
import { percentile, round } from './lib/stats.mjs';
import { startWorker } from './lib/worker.mjs';

const MISSED = Number(process.env.BENCH_REPLAY_EVENTS ?? 10_000);
const RUNS = Number(process.env.BENCH_REPLAY_RUNS ?? 20);
const READER = 'bench-reader';
const CYCLE = ['todo', 'in_progress', 'done'];

/** Creates the task (the reader a member) and stores MISSED events on its stream. */
async function seed(url) {
  const { openPostgres } = backend();
  const { EventStore } = backend();
  const { EventPublisher } = backend();
  const { prismaExecutor } = backend();
  const { DEFAULT_EVENTS_OPTIONS } = backend();
  const handle = openPostgres({ url });
  try {
    const task = await handle.prisma.task.create({
      data: {
        id: randomUUID(),
        title: 'replay bench',
        ownerId: 'bench-owner',
        members: { create: [{ userId: READER }] },
      },
    });
    const publisher = new EventPublisher(new EventStore(prismaExecutor(handle.prisma)), {
      ...DEFAULT_EVENTS_OPTIONS.publisher,
      maxPending: 50_000,
      enqueueTimeoutMs: 30_000,
      storeTimeoutMs: 30_000,
    });
    const stream = `task:${task.id}`;
    await Promise.all(
      Array.from({ length: MISSED }, (_, i) =>
        publisher.publish({
          stream,
          type: 'task.status_changed',
          payload: { taskId: task.id, from: CYCLE[i % 3], to: CYCLE[(i + 1) % 3] },
        }),
      ),
    );
    await publisher.drain();
    return stream;
  } finally {
    await handle.close();
  }
}

export async function run() {
  const db = await createBenchDatabase();
  let server;
  const client = startWorker('replay/replay-client.mjs', { name: 'replay-client' });
  try {
    const stream = await seed(db.url);
    server = await startBackend(db.url);
    const token = signToken(READER);
    const args = { url: server.url, token, stream };
    // The position comes from an earlier subscribe: its epoch, and a seq MISSED events back.
    const live = await client.call('probe', args);
    const position = { seq: live.seq - MISSED, epoch: live.epoch };
    const cold = await client.call('replay', { ...args, position, expected: MISSED });
    const runs = [];
    for (let i = 0; i < RUNS; i++)
      runs.push(await client.call('replay', { ...args, position, expected: MISSED }));
    const times = runs.map((r) => r.ms);
    const p99 = percentile(times, 99);
    console.error(
      `  replay of ${MISSED}: cold ${round(cold.ms)} ms, then p50 ${round(percentile(times, 50))} ms, p99 ${round(p99)} ms over ${RUNS} runs`,
    );
    return {
      name: 'replay',
      config: { missed: MISSED, runs: RUNS },
      coldMs: round(cold.ms, 1),
      p50Ms: round(percentile(times, 50), 1),
      p99Ms: round(p99, 1),
      maxMs: round(Math.max(...times), 1),
      ackP50Ms: round(
        percentile(
          runs.map((r) => r.ackMs),
          50,
        ),
        1,
      ),
      runsMs: times.map((t) => round(t, 1)),
      targets: [
        {
          name: `replay: ${MISSED} missed events, subscribe to last event (${RUNS} runs after 1 cold)`,
          measured: `p99 ${round(p99)} ms (p50 ${round(percentile(times, 50))}, cold ${round(cold.ms)})`,
          target: 'p99 < 500 ms',
          pass: p99 < 500,
        },
      ],
    };
  } finally {
    await client.stop();
    await server?.stop();
    await db.drop();
  }
}
