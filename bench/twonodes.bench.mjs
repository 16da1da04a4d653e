// Issue 8: fan-out across two nodes through Redis against one node with the in-memory
// adapter, serving the same clients, measured in the same run:
// - one: a backend without REDIS_URL; all 1,000 clients on it;
// - two: nodes A and B with REDIS_URL (one key prefix), each subscriber group split in half
//   over them, so every stream has 50 subscribers on A and 50 on B.
// Both publish in-process through the EventPublisher of one node (lib/backend-launcher.mjs;
// for `two`, node A: its own sockets directly, B's through the Redis adapter). Every client
// is on 10 of 100 task streams (100 subscribers each), as in `fanout`; the two set-ups use
// task sets of their own in one database and alternate step by step
// (fanout/fanout-meter.mjs). Target: deliveries/s at saturation of `two` >= 75% of `one`.
import { createAudience } from './fanout/audience.mjs';
import {
  DEFAULT_PLAN,
  connectSwarm,
  createSide,
  log,
  ramp,
  saturationText,
  sideReport,
  stopSides,
} from './fanout/fanout-meter.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { benchRedis } from './lib/redis.mjs';
import { signToken, startLauncher } from './lib/server.mjs';
import { round } from './lib/stats.mjs';

const CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 1000);
// Both set-ups keep up well past the first steps of `fanout`: start higher, step faster.
const PLAN = {
  ...DEFAULT_PLAN,
  rampStart: 450,
  rampFactor: 2,
  clientProcs: Number(process.env.BENCH_CLIENT_PROCS ?? 3),
};
const TARGET = 0.75;

const audience = createAudience({ clients: CLIENTS, streams: 100, perClient: 10 });
const { subscribersPerStream } = audience;

export async function run() {
  const db = await createBenchDatabase();
  const redis = benchRedis();
  const servers = [];
  const sides = [];
  try {
    const single = await startLauncher(db.url, {}, { name: 'one-node' });
    servers.push(single);
    const a = await startLauncher(db.url, redis.env, { name: 'node-a' });
    servers.push(a);
    const b = await startLauncher(db.url, redis.env, { name: 'node-b' });
    servers.push(b);
    const owner = signToken('bench-owner');

    const oneStreams = await audience.createTasks(single.url, owner, 'one-node task');
    const one = createSide({
      name: 'one',
      mode: 'real',
      db,
      url: single.url,
      pids: [single.pid],
      streams: oneStreams,
      clients: audience.clientsFor(oneStreams, { withTokens: true }),
      load: single,
      plan: PLAN,
    });
    sides.push(one);
    const twoStreams = await audience.createTasks(a.url, owner, 'two-node task');
    // User i is in group i % 10; alternating by tens puts half of every group on each node.
    const urlOf = (i) => (Math.floor(i / 10) % 2 === 0 ? a.url : b.url);
    const two = createSide({
      name: 'two',
      mode: 'real',
      db,
      url: a.url,
      pids: [a.pid, b.pid],
      streams: twoStreams,
      clients: audience.clientsFor(twoStreams, { withTokens: true, urlOf }),
      load: a,
      plan: PLAN,
    });
    sides.push(two);

    // Both connect at once (connection time is not what this measures).
    await Promise.all(sides.map((side) => connectSwarm(side)));
    const split = await Promise.all([a.call('sockets'), b.call('sockets')]);
    log(`two: ${split[0].sockets} sockets on A, ${split[1].sockets} on B`);
    await ramp(sides, subscribersPerStream);

    const ratio = two.saturationDeliveriesPerSec / one.saturationDeliveriesPerSec;
    return {
      name: 'twonodes',
      config: {
        clients: CLIENTS,
        streams: 100,
        subscribersPerStream,
        socketsOnA: split[0].sockets,
        socketsOnB: split[1].sockets,
        plan: PLAN,
        load: 'in-process EventPublisher.publish on the one node / on node A',
      },
      one: sideReport(one),
      two: sideReport(two),
      ratio: round(ratio, 3),
      targets: [
        {
          name: 'twonodes: deliveries/s at saturation, 2 nodes over Redis vs 1 node in-memory',
          measured: `${saturationText(two)} vs ${saturationText(one)} = ${(ratio * 100).toFixed(0)}%`,
          target: `>= ${TARGET * 100}% of one node`,
          pass: ratio >= TARGET,
        },
      ],
    };
  } finally {
    await stopSides(sides);
    await Promise.all(servers.map((server) => server.stop()));
    await redis.cleanup();
    await db.drop();
  }
}
