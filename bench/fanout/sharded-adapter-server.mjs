// The comparison for `fournodes`: a Socket.IO server (no auth, no storage) on Socket.IO's
// own sharded Redis adapter (`createShardedAdapter`, `subscriptionMode: 'dynamic'`: one
// sharded channel per room with local sockets) over a Redis Cluster (ioredis, sharded
// subscribers). Clients `join` rooms as on the bare server; `run` emits status changes to
// the streams' rooms at the commanded rate, so every other node's sockets in a room get
// them through Redis. `received` counts the sharded messages this node's subscriber got.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { backendRequire } from '../lib/backend.mjs';
import { memoryNow, nextStatusChange, runAtRate } from '../lib/rate-ticker.mjs';
import { serveWorker } from '../lib/worker.mjs';

const { Server } = backendRequire('socket.io');
const { createShardedAdapter } = backendRequire('@socket.io/redis-adapter');
const { Cluster } = backendRequire('ioredis');

const EPOCH = randomUUID();
const seqs = new Map();
let server;
let io;
let pub;
let sub;
let received = 0;

function emit({ stream, type, payload }) {
  const seq = (seqs.get(stream) ?? 0) + 1;
  seqs.set(stream, seq);
  const envelope = {
    id: randomUUID(),
    stream,
    seq,
    epoch: EPOCH,
    type,
    occurredAt: new Date().toISOString(),
    payload,
  };
  io.of('/events').to(`s:${stream}`).emit('events', [envelope]);
}

serveWorker({
  async listen({ clusterUrl, key }) {
    const seed = new URL(clusterUrl);
    const nodes = [{ host: seed.hostname, port: Number(seed.port) }];
    pub = new Cluster(nodes);
    sub = new Cluster(nodes, { shardedSubscribers: true });
    sub.on('smessageBuffer', () => received++);
    server = http.createServer((_, response) => response.writeHead(404).end());
    io = new Server(server, { transports: ['websocket'], serveClient: false });
    io.adapter(createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: 'dynamic' }));
    io.of('/events').on('connection', (socket) => {
      socket.on('join', (rooms, ack) => {
        socket.join(rooms.map((stream) => `s:${stream}`));
        if (typeof ack === 'function') ack({ ok: true });
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: server.address().port, pid: process.pid };
  },
  async run({ rate, durationMs, streams }) {
    return runAtRate({ rate, durationMs, emit: () => emit(nextStatusChange(streams)) });
  },
  async received() {
    return { events: received };
  },
  async memory() {
    return memoryNow();
  },
  async close() {
    io?.close();
    pub?.disconnect();
    sub?.disconnect();
  },
});
