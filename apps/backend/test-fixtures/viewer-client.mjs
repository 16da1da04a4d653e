// A viewer of one execution stream in a process of its own (forked by tests and the
// benchmark), so that it can be stopped (SIGSTOP) like a client that stops reading, and so
// that its JSON parsing does not share the server's event loop.
//
// Messages from the parent: {cmd: 'watch', url, token, stream} subscribes (and replays from
// seq 0 if the stream already had events, answering once the replay has arrived);
// {cmd: 'report'} answers with what arrived;
// {cmd: 'backfill', url, token, executionId} fetches what it skipped (bytes and events) over HTTP.
// Output bytes are kept by offset, so the log can be checked whole by hash.
import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

const chunks = new Map(); // offset -> Buffer
const skipped = [];
let socket;
let lastSeq = 0;
let outOfOrder = 0;
let liveBytes = 0;
let firstAt = 0;
let lastAt = 0;
let finished;
let disconnected; // why the socket closed, if it did (it never reconnects)

function onEvents(events) {
  const now = Date.now();
  for (const event of events) {
    if (event.seq <= lastSeq) continue; // the replay after a live subscribe repeats a few
    const skip = skipped.find((n) => n.fromSeq === lastSeq + 1);
    if (event.seq !== lastSeq + 1 && !(skip && event.seq === skip.toSeq + 1)) outOfOrder++;
    lastSeq = event.seq;
    if (event.type === 'execution.output') {
      const { offset, data, encoding } = event.payload;
      const bytes = Buffer.from(data, encoding === 'base64' ? 'base64' : 'utf8');
      chunks.set(offset, bytes);
      liveBytes += bytes.length;
      firstAt ||= now;
      lastAt = now;
    }
    if (event.type === 'execution.finished') finished = { ...event.payload, at: now };
  }
}

function subscribe(request) {
  return new Promise((resolve, reject) =>
    socket.timeout(30_000).emit('subscribe', request, (error, answer) => {
      const result = answer?.ok ? answer.results[0] : undefined;
      if (error || !result?.ok) return reject(new Error(`subscribe failed: ${JSON.stringify(error ?? answer)}`));
      // The answer comes after every event of the earlier subscription and before any replayed
      // one; live delivery starts after `position`.
      lastSeq = result.recovered ? request.streams[0].position.seq : result.position.seq;
      resolve(result);
    }),
  );
}

async function watch({ url, token, stream }) {
  socket = io(`${url}/events`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
  socket.on('events', onEvents);
  socket.on('output_skipped', (notice) => skipped.push(notice));
  socket.on('disconnect', (reason) => (disconnected = reason));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const live = await subscribe({ streams: [{ stream }] });
  if (live.position.seq > 0) {
    const replay = await subscribe({ streams: [{ stream, position: { seq: 0, epoch: live.position.epoch } }] });
    // The replay runs after the answer; once it has arrived, and the stream did not move
    // meanwhile, the server has put this socket back in the stream's room.
    while (lastSeq < replay.position.seq) {
      if (disconnected) throw new Error(`closed during the replay: ${disconnected}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return { ok: true };
}

/** Fetches what the `output_skipped` notices name: the bytes, and the other events of the range. */
async function backfill({ url, token, executionId }) {
  const get = (path) => globalThis.fetch(`${url}/executions/${executionId}/${path}`, { headers: { authorization: `Bearer ${token}` } });
  for (const notice of skipped) {
    const output = await get(`output?from=${notice.from}&to=${notice.to}`);
    chunks.set(notice.from, Buffer.from(await output.arrayBuffer()));
    const { events } = await (await get(`events?after=${notice.fromSeq - 1}&upTo=${notice.toSeq}`)).json();
    for (const event of events) if (event.type === 'execution.finished') finished = { ...event.payload, at: Date.now() };
  }
  return { ok: true };
}

function report() {
  const offsets = [...chunks.keys()].sort((a, b) => a - b);
  const hash = createHash('sha256');
  let next = 0;
  let holes = 0;
  for (const offset of offsets) {
    if (offset !== next) holes++;
    const bytes = chunks.get(offset);
    hash.update(bytes);
    next = offset + bytes.length;
  }
  // Received bytes and skipped ranges must tile the log: no overlap, no hole.
  const tiles = [...[...chunks].map(([offset, bytes]) => [offset, offset + bytes.length]), ...skipped.map((n) => [n.from, n.to])];
  tiles.sort((a, b) => a[0] - b[0]);
  let tiledTo = 0;
  let tiled = true;
  for (const [from, to] of tiles) {
    if (from !== tiledTo) tiled = false;
    tiledTo = Math.max(tiledTo, to);
  }
  // `through`: the last seq this viewer has, or was told it skipped.
  const through = Math.max(lastSeq, ...skipped.map((n) => n.toSeq));
  return { lastSeq, through, tiled, tiledTo, outOfOrder, liveBytes, bytes: next, holes, sha256: hash.digest('hex'), skipped, finished, firstAt, lastAt, disconnected };
}

const handlers = { watch, backfill, report: async () => report() };
process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, result: await handlers[cmd](args) });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
