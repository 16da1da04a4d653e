// Issue 21: four nodes on one machine over a three-primary Redis Cluster that this benchmark
// starts itself (@taskdash/testkit), once with EVENT_FANOUT=broadcast (every node receives
// every stored event) and once with EVENT_FANOUT=interest (a node receives a stream only
// while one of its sockets follows it, over sharded pub/sub). 40 task streams, each followed
// on exactly one node (node k: streams k, k+4, ...; 5 sockets there, each on all 10 of the
// node's streams). Node 0 publishes round-robin over all 40 streams through its own
// EventPublisher, so nodes 1-3 each want a quarter of the events from their peers.
// Per node 1-3 and mode:
// - received: events its fan-out got from other nodes (`EventFanout.receivedFromPeers`);
// - wanted: events stored on its streams during the run (the `events` table);
// - server CPU (user + system) per delivered event (one event to one socket).
// Target: interest-based, every node receives under 1.1x the events its sockets want.
import { startRedisCluster } from '@taskdash/testkit';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds } from './lib/cpu.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { backendRequire } from './lib/backend.mjs';
import { api, signToken, startLauncher } from './lib/server.mjs';
import { round } from './lib/stats.mjs';
import { startWorker } from './lib/worker.mjs';

const NODES = 4;
const STREAMS = 40;
const SOCKETS_PER_NODE = 5;
const RATE = Number(process.env.BENCH_FOURNODES_RATE ?? 800);
const DURATION_MS = Number(process.env.BENCH_FOURNODES_MS ?? 5000);
const TARGET = 1.1;

const log = (line) => console.error(`  ${line}`);
const { Client } = backendRequire('pg');

/** Each stream's last seq now. */
async function heads(db, streams) {
  const rows = (
    await db.query('SELECT name, last_seq FROM event_streams WHERE name = ANY($1::text[])', [streams])
  ).rows;
  return new Map(rows.map((row) => [row.name, Number(row.last_seq)]));
}

async function storedSince(db, streams, marks) {
  const now = await heads(db, streams);
  return streams.reduce((sum, stream) => sum + (now.get(stream) ?? 0) - (marks.get(stream) ?? 0), 0);
}

/**
 * The row of nodes 1-3 (node 0 publishes, so it receives nothing from peers): events
 * received against events wanted, and server CPU per delivered event (one event to one socket).
 */
function report(mode, { wanted, before, after, cpuBefore, cpuAfter }) {
  const perNode = [];
  for (let k = 1; k < NODES; k++) {
    const received = after[k].events - before[k].events;
    const deliveries = wanted[k] * SOCKETS_PER_NODE;
    const cpuUsPerDelivery = deliveries > 0 ? ((cpuAfter[k] - cpuBefore[k]) * 1e6) / deliveries : Number.NaN;
    const row = {
      node: k,
      wanted: wanted[k],
      received,
      ratio: round(received / wanted[k], 3),
      cpuUsPerDelivery: round(cpuUsPerDelivery, 1),
    };
    log(
      `${mode}: node ${k} received ${received} for ${row.wanted} wanted = ${row.ratio}x, ${row.cpuUsPerDelivery} us CPU per delivered event`,
    );
    perNode.push(row);
  }
  return { mode, perNode, worstRatio: Math.max(...perNode.map((n) => n.ratio)) };
}

async function runMode(mode, database, clusterUrl, prefix) {
  const db = new Client({ connectionString: database.url });
  await db.connect();
  const env = {
    REDIS_URL: clusterUrl,
    REDIS_MODE: 'cluster',
    REDIS_KEY_PREFIX: `${prefix}-${mode}`,
    EVENT_FANOUT: mode,
  };
  const nodes = [];
  const swarm = startWorker('fanout/client-swarm.mjs', { name: `fournodes-${mode}-clients` });
  try {
    for (let k = 0; k < NODES; k++)
      nodes.push(await startLauncher(database.url, env, { name: `fournodes-${mode}-${k}` }));
    // Node k's tasks belong to user k, whose sockets are on node k only.
    const owners = nodes.map((_, k) => `fournodes-${mode}-user-${k}`);
    const streamsOf = nodes.map(() => []);
    for (let s = 0; s < STREAMS; s++) {
      const k = s % NODES;
      const task = await api(nodes[0].url, 'POST', '/tasks', signToken(owners[k]), {
        title: `four nodes ${s}`,
      });
      streamsOf[k].push(`task:${task.id}`);
    }
    const clients = nodes.flatMap((node, k) =>
      Array.from({ length: SOCKETS_PER_NODE }, () => ({
        url: node.url,
        token: signToken(owners[k]),
        streams: streamsOf[k],
      })),
    );
    await swarm.call('connect', { url: nodes[0].url, mode: 'real', clients, concurrency: 10 }, 120_000);
    await sleep(1500); // subscriptions settle; peers see each other
    const all = streamsOf.flat();
    const marks = await heads(db, all);
    const before = await Promise.all(nodes.map((node) => node.call('received')));
    const cpuBefore = nodes.map((node) => cpuSeconds(node.pid));
    await nodes[0].call(
      'run',
      { rate: RATE, durationMs: DURATION_MS, streams: all, maxOutstanding: 2000 },
      DURATION_MS + 60_000,
    );
    await sleep(1000); // the last messages arrive
    const after = await Promise.all(nodes.map((node) => node.call('received')));
    const cpuAfter = nodes.map((node) => cpuSeconds(node.pid));
    const wanted = [];
    for (let k = 0; k < NODES; k++) wanted.push(await storedSince(db, streamsOf[k], marks));
    return report(mode, { wanted, before, after, cpuBefore, cpuAfter });
  } finally {
    await swarm.stop(10_000).catch(() => undefined);
    await Promise.all(nodes.map((node) => node.stop()));
    await db.end();
  }
}

/**
 * The same shape on Socket.IO's own sharded adapter (`fanout/sharded-adapter-server.mjs`):
 * bare servers, no storage, so only what each node receives and its CPU compare.
 */
async function runShardedAdapter(clusterUrl, prefix) {
  const workers = Array.from({ length: NODES }, (_, k) =>
    startWorker('fanout/sharded-adapter-server.mjs', { name: `fournodes-adapter-${k}` }),
  );
  const swarm = startWorker('fanout/client-swarm.mjs', { name: 'fournodes-adapter-clients' });
  try {
    const ports = await Promise.all(
      workers.map((w) => w.call('listen', { clusterUrl, key: `${prefix}-adapter` })),
    );
    const streamsOf = workers.map((_, k) =>
      Array.from({ length: STREAMS / NODES }, (_, j) => `task:adapter-${k}-${j}`),
    );
    const clients = workers.flatMap((_, k) =>
      Array.from({ length: SOCKETS_PER_NODE }, () => ({
        url: `http://127.0.0.1:${ports[k].port}`,
        streams: streamsOf[k],
      })),
    );
    await swarm.call(
      'connect',
      { url: `http://127.0.0.1:${ports[0].port}`, mode: 'bare', clients, concurrency: 10 },
      120_000,
    );
    await sleep(1500);
    // Round-robin over the streams in node order: stream s belongs to node s % NODES.
    const all = Array.from({ length: STREAMS }, (_, s) => streamsOf[s % NODES][Math.floor(s / NODES)]);
    const before = await Promise.all(workers.map((w) => w.call('received')));
    const cpuBefore = ports.map((p) => cpuSeconds(p.pid));
    const result = await workers[0].call(
      'run',
      { rate: RATE, durationMs: DURATION_MS, streams: all },
      DURATION_MS + 60_000,
    );
    await sleep(1000);
    const after = await Promise.all(workers.map((w) => w.call('received')));
    const cpuAfter = ports.map((p) => cpuSeconds(p.pid));
    // Round-robin over all streams: each node's streams got a quarter of the events.
    const wanted = workers.map(() => Math.round(result.ok / NODES));
    return report('sharded-adapter', { wanted, before, after, cpuBefore, cpuAfter });
  } finally {
    await swarm.stop(10_000).catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
  }
}

export async function run() {
  const db = await createBenchDatabase();
  const cluster = await startRedisCluster({ primaries: 3 });
  const prefix = `bench-four-${Date.now().toString(36)}`;
  try {
    const broadcast = await runMode('broadcast', db, cluster.url, prefix);
    const interest = await runMode('interest', db, cluster.url, prefix);
    const adapter = await runShardedAdapter(cluster.url, prefix);
    const cpu = (result) =>
      round(result.perNode.reduce((s, n) => s + n.cpuUsPerDelivery, 0) / result.perNode.length, 1);
    return {
      name: 'fournodes',
      config: {
        nodes: NODES,
        streams: STREAMS,
        socketsPerNode: SOCKETS_PER_NODE,
        rate: RATE,
        durationMs: DURATION_MS,
        redis: 'cluster, 3 primaries',
      },
      broadcast,
      interest,
      shardedAdapter: adapter,
      targets: [
        {
          name: 'fournodes: events a node receives per event its sockets want (4 nodes, Redis Cluster, interest-based)',
          measured:
            `interest worst ${interest.worstRatio}x (${interest.perNode.map((n) => n.ratio).join('/')}), ` +
            `broadcast worst ${broadcast.worstRatio}x (${broadcast.perNode.map((n) => n.ratio).join('/')}); ` +
            `server CPU per delivered event ${cpu(interest)} us interest vs ${cpu(broadcast)} us broadcast; ` +
            `Socket.IO sharded adapter (bare servers, nothing stored) ${adapter.worstRatio}x, ${cpu(adapter)} us`,
          target: `< ${TARGET}x`,
          pass: interest.worstRatio < TARGET,
        },
      ],
    };
  } finally {
    await cluster.stop();
    await db.drop();
  }
}
