// A bare Socket.IO server (websocket only, no auth, no storage) whose clients `join` rooms
// and which broadcasts status changes to the streams' rooms, as envelopes of the same shape
// and size as the real backend's, stamped with `occurredAt` when they are broadcast. The
// baseline of the fan-out benchmarks (bare-server.mjs) and, on Socket.IO's sharded Redis
// adapter, the comparison of `fournodes` (sharded-adapter-server.mjs).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { backendRequire } from '../lib/backend.mjs';

const { Server } = backendRequire('socket.io');

/** Listens on a free port; `adapter`, when given, is installed before any socket connects. */
export async function startRoomServer(adapter) {
  const epoch = randomUUID();
  const seqs = new Map();
  const server = http.createServer((_, response) => response.writeHead(404).end());
  const io = new Server(server, { transports: ['websocket'], serveClient: false });
  if (adapter) io.adapter(adapter);
  io.of('/events').on('connection', (socket) => {
    socket.on('join', (rooms, ack) => {
      socket.join(rooms.map((stream) => `s:${stream}`));
      if (typeof ack === 'function') ack({ ok: true });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const broadcast = ({ stream, type, payload }) => {
    const seq = (seqs.get(stream) ?? 0) + 1;
    seqs.set(stream, seq);
    const envelope = {
      id: randomUUID(),
      stream,
      seq,
      epoch,
      type,
      occurredAt: new Date().toISOString(),
      payload,
    };
    io.of('/events').to(`s:${stream}`).emit('events', [envelope]);
  };
  return { io, port: server.address().port, broadcast };
}
