// The baseline: a bare Socket.IO server (no auth, no storage). Clients join rooms; a
// status change over HTTP is broadcast to the task's room as an envelope of the same shape
// and size as the real backend's, stamped with `occurredAt` when it is published.
import { randomUUID } from 'node:crypto';
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { backendRequire } from '../lib/backend.mjs';
import { serveWorker } from '../lib/worker.mjs';

const { Server } = backendRequire('socket.io');

const EPOCH = randomUUID();
const ROUTE = /^\/tasks\/([0-9a-f-]{36})\/status$/;
const streams = new Map();

let server;
let io;

function broadcast(taskId, status) {
  const stream = `task:${taskId}`;
  let state = streams.get(stream);
  if (!state) streams.set(stream, (state = { seq: 0, status: 'todo' }));
  const envelope = {
    id: randomUUID(),
    stream,
    seq: ++state.seq,
    epoch: EPOCH,
    type: 'task.status_changed',
    occurredAt: new Date().toISOString(),
    payload: { taskId, from: state.status, to: status },
  };
  state.status = status;
  io.of('/events').to(`s:${stream}`).emit('events', [envelope]);
  return envelope;
}

function handle(request, response) {
  const match = ROUTE.exec(request.url ?? '');
  if (request.method !== 'PUT' || !match) {
    response.writeHead(404).end();
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const { status } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const envelope = broadcast(match[1], status);
    const body = JSON.stringify({ id: match[1], status, seq: envelope.seq });
    response
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .end(body);
  });
}

serveWorker({
  async listen() {
    server = http.createServer(handle);
    server.keepAliveTimeout = 60_000;
    io = new Server(server, { transports: ['websocket'], serveClient: false });
    io.of('/events').on('connection', (socket) => {
      socket.on('join', (rooms, ack) => {
        socket.join(rooms.map((stream) => `s:${stream}`));
        if (typeof ack === 'function') ack({ ok: true });
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: server.address().port };
  },
  async close() {
    io?.close();
  },
});
