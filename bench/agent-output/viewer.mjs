// One viewer of an execution stream, in a process of its own: subscribes (replaying from
// seq 0 if the stream already has events), checks that output offsets follow on, hashes
// the output in order and notes when bytes arrive. Driven over IPC by agent-output.bench.mjs.
import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { rootRequire } from '../lib/backend.mjs';
import { serveWorker } from '../lib/worker.mjs';

const { io } = rootRequire('socket.io-client');

let socket;
let lastSeq = 0;
let next = 0;
let bytes = 0;
let gaps = 0;
let firstAt = 0;
let lastAt = 0;
let finished;
const skipped = [];
let hash = createHash('sha256');

function onEvents(events) {
  const now = Date.now();
  for (const event of events) {
    if (event.seq <= lastSeq) continue;
    lastSeq = event.seq;
    if (event.type === 'execution.output') {
      const { offset, data, encoding } = event.payload;
      if (offset !== next) gaps++;
      const chunk = Buffer.from(data, encoding === 'base64' ? 'base64' : 'utf8');
      hash.update(chunk);
      next = offset + chunk.length;
      bytes += chunk.length;
      firstAt ||= now;
      lastAt = now;
    } else if (event.type === 'execution.finished') finished = { ...event.payload, at: now };
  }
}

function subscribe(request) {
  return new Promise((resolve, reject) =>
    socket.timeout(30_000).emit('subscribe', request, (error, answer) => {
      const result = answer?.ok ? answer.results[0] : undefined;
      if (error || !result?.ok) return reject(new Error(`subscribe failed: ${JSON.stringify(error ?? answer)}`));
      if (result.recovered) {
        // The replay (from seq 1) follows this answer: start over, it repeats what came live.
        lastSeq = request.streams[0].position.seq;
        hash = createHash('sha256');
        next = bytes = gaps = firstAt = 0;
      }
      resolve(result);
    }),
  );
}

serveWorker({
  async connect({ url, token }) {
    socket = io(`${url}/events`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    socket.on('events', onEvents);
    socket.on('output_skipped', (notice) => skipped.push(notice));
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (error) => reject(new Error(`connect failed: ${error.message}`)));
    });
    return { ok: true };
  },
  async watch({ stream }) {
    const live = await subscribe({ streams: [{ stream }] });
    if (live.position.seq > 0) await subscribe({ streams: [{ stream, position: { seq: 0, epoch: live.position.epoch } }] });
    return { ok: true };
  },
  async report() {
    return { bytes, gaps, firstAt, lastAt, finished, skipped, sha256: finished ? hash.copy().digest('hex') : undefined };
  },
  async close() {
    socket?.disconnect();
  },
});
