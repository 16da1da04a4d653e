// The comparison for `fournodes`: a bare Socket.IO server (room-server.mjs: no auth, no
// storage) on Socket.IO's own sharded Redis adapter (`createShardedAdapter`,
// `subscriptionMode: 'dynamic'`: one sharded channel per room with local sockets) over a
// Redis Cluster (ioredis, sharded subscribers). `run` emits status changes to the streams'
// rooms at the commanded rate, so every other node's sockets in a room get them through
// Redis. `received` counts the sharded messages this node's subscriber got.
import { backendRequire } from '../lib/backend.mjs';
import { memoryNow, nextStatusChange, runAtRate } from '../lib/rate-ticker.mjs';
import { serveWorker } from '../lib/worker.mjs';
import { startRoomServer } from './room-server.mjs';

const { createShardedAdapter } = backendRequire('@socket.io/redis-adapter');
const { Cluster } = backendRequire('ioredis');

let room;
let pub;
let sub;
let received = 0;

serveWorker({
  async listen({ clusterUrl, key }) {
    const seed = new URL(clusterUrl);
    const nodes = [{ host: seed.hostname, port: Number(seed.port) }];
    pub = new Cluster(nodes);
    sub = new Cluster(nodes, { shardedSubscribers: true });
    sub.on('smessageBuffer', () => received++);
    room = await startRoomServer(
      createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: 'dynamic' }),
    );
    return { port: room.port, pid: process.pid };
  },
  async run({ rate, durationMs, streams }) {
    return runAtRate({ rate, durationMs, emit: () => room.broadcast(nextStatusChange(streams)) });
  },
  async received() {
    return { events: received };
  },
  async memory() {
    return memoryNow();
  },
  async close() {
    room?.io.close();
    pub?.disconnect();
    sub?.disconnect();
  },
});
