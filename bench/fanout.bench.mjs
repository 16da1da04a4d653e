// Target 2: fan-out. 1,000 clients in separate processes, each subscribed to 10 of 100
// task streams (every stream has exactly 100 subscribers), receive status changes that the
// server generates in its own process at a commanded rate:
// - real: the backend booted as main.ts boots it (lib/backend-launcher.mjs), publishing
//   through its own EventPublisher (stored in PostgreSQL by group commit, then fanned out),
//   the way backend services publish;
// - bare: a Socket.IO server broadcasting envelopes of the same shape and size (the baseline).
// Both run side by side with their own clients; the load alternates between them step by
// step (fanout/fanout-meter.mjs), so machine noise hits both alike.
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_PLAN,
  connectSwarm,
  createSide,
  latency,
  publishCeiling,
  saturationText,
  ramp,
  sideReport,
  stopSides,
} from './fanout/fanout-meter.mjs';
import { createAudience } from './fanout/audience.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { signToken, startLauncher } from './lib/server.mjs';
import { round } from './lib/stats.mjs';
import { startWorker } from './lib/worker.mjs';

const CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 1000);
const STREAMS = 100;
const PER_CLIENT = 10;
const PLAN = { ...DEFAULT_PLAN, clientProcs: Number(process.env.BENCH_CLIENT_PROCS ?? 3) };
/** Offered with nobody subscribed, to find the publish path's own ceiling: more than it takes. */
const CEILING_RATE = 30_000;
const CEILING_MS = 2000;

const audience = createAudience({ clients: CLIENTS, streams: STREAMS, perClient: PER_CLIENT });
const { subscribersPerStream } = audience;

export async function run() {
  const db = await createBenchDatabase();
  const bareServer = startWorker('fanout/bare-server.mjs', { name: 'bare-server' });
  let backend;
  const sides = [];
  try {
    const { port } = await bareServer.call('listen');
    // The bare server keeps no tasks; any ids of the same shape will do.
    const bareStreams = Array.from({ length: STREAMS }, () => `task:${randomUUID()}`);
    const bare = createSide({
      name: 'bare',
      mode: 'bare',
      url: `http://127.0.0.1:${port}`,
      pids: [bareServer.pid],
      streams: bareStreams,
      clients: audience.clientsFor(bareStreams, { withTokens: false }),
      load: bareServer,
      plan: PLAN,
    });
    sides.push(bare);

    backend = await startLauncher(db.url, {}, { name: 'real-server' });
    const realStreams = await audience.createTasks(backend.url, signToken('bench-owner'));
    const real = createSide({
      name: 'real',
      mode: 'real',
      db,
      url: backend.url,
      pids: [backend.pid],
      streams: realStreams,
      clients: audience.clientsFor(realStreams, { withTokens: true }),
      load: backend,
      plan: PLAN,
    });
    sides.push(real);

    real.publishOnly = await publishCeiling(real, CEILING_RATE, CEILING_MS);
    // Both connect at once (connection time is not what this measures).
    await Promise.all(sides.map((side) => connectSwarm(side)));
    await ramp(sides, subscribersPerStream);
    const latencyRate = Math.round(bare.saturationDeliveriesPerSec / 2 / subscribersPerStream);
    await latency(sides, latencyRate, subscribersPerStream);

    const throughputRatio = real.saturationDeliveriesPerSec / bare.saturationDeliveriesPerSec;
    const latencyLimit = 2 * bare.latency.p99Ms + 10;
    return {
      name: 'fanout',
      config: {
        clients: CLIENTS,
        streams: STREAMS,
        streamsPerClient: PER_CLIENT,
        subscribersPerStream,
        plan: PLAN,
        load: 'in-process: EventPublisher.publish (real), io.to(room).emit (bare); rate/100 events every 10 ms',
      },
      bare: sideReport(bare),
      real: sideReport(real),
      throughputRatio: round(throughputRatio, 3),
      targets: [
        {
          name: 'fan-out: deliveries/s at saturation vs bare Socket.IO',
          measured: `${saturationText(real)} vs ${saturationText(bare)} = ${(throughputRatio * 100).toFixed(0)}%`,
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
    await stopSides(sides);
    await bareServer.stop();
    await backend?.stop();
    await db.drop();
  }
}
