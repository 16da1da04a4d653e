// The baseline: a bare Socket.IO server (websocket only, no auth, no storage). Clients may
// join rooms; on `run` it broadcasts status changes to the tasks' rooms at the commanded
// rate, generated in this process by the same ticker as the real backend's launcher, as
// envelopes of the same shape and size as the real backend's, stamped with `occurredAt`
// when they are broadcast.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { backendRequire } from '../lib/backend.mjs';
import { memoryNow, nextStatusChange, runAtRate } from '../lib/rate-ticker.mjs';
import { serveWorker } from '../lib/worker.mjs';

const { Server } = backendRequire('socket.io');

const EPOCH = randomUUID();
const seqs = new Map();

let server;
let io;

function broadcast({ stream, type, payload }) {
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
  async listen() {
    server = http.createServer((_, response) => response.writeHead(404).end());
    io = new Server(server, { transports: ['websocket'], serveClient: false });
    io.of('/events').on('connection', (socket) => {
      socket.on('join', (rooms, ack) => {
        socket.join(rooms.map((stream) => `s:${stream}`));
        if (typeof ack === 'function') ack({ ok: true });
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: server.address().port, pid: process.pid };
  },
  /** Broadcasts `rate` status changes/s for `durationMs` over `streams`. */
  async run({ rate, durationMs, streams }) {
    return runAtRate({ rate, durationMs, emit: () => broadcast(nextStatusChange(streams)) });
  },
  async memory() {
    return memoryNow();
  },
  async sockets() {
    return { sockets: io.of('/events').sockets.size };
  },
  async close() {
    io?.close();
  },
});
