// One process of the client swarm: many Socket.IO sockets (protocol-client.mjs, or
// socket.io-client with BENCH_CLIENT=socket.io-client) that subscribe to streams and count
// what arrives. Latency is receive time minus the envelope's
// `occurredAt` (stamped by the server at publish time; one machine, one clock), kept as a
// millisecond histogram so counting costs almost nothing per delivery. A client may name
// its own server (`url`, for clients split over several nodes) and have no streams (an
// idle connection); `localAddress` spreads sockets over loopback source addresses, since
// one address has only ~28,000 ephemeral ports.
import { performance } from 'node:perf_hooks';
import { rootRequire } from '../lib/backend.mjs';
import { serveWorker } from '../lib/worker.mjs';
import { connectProtocol } from './protocol-client.mjs';

const { io } = rootRequire('socket.io-client');
const USE_SOCKET_IO_CLIENT = process.env.BENCH_CLIENT === 'socket.io-client';

const MAX_MS = 60_000;
const sockets = [];
let histogram = new Uint32Array(MAX_MS + 1);
let windowCount = 0;
/** `events` messages in the window; the server may put several envelopes in one. */
let windowMessages = 0;
let totalCount = 0;
let lastStamp = '';
let lastStampMs = 0;
/** Count envelopes without parsing them (no latencies): see `counting` below. */
let countOnly = false;

function onCount(count) {
  windowMessages++;
  windowCount += count;
  totalCount += count;
}

function onEvents(envelopes) {
  const now = Date.now();
  windowMessages++;
  for (const envelope of envelopes) {
    if (!envelope.stream.startsWith('task:')) continue;
    if (envelope.occurredAt !== lastStamp) {
      lastStamp = envelope.occurredAt;
      lastStampMs = Date.parse(lastStamp);
    }
    histogram[Math.min(MAX_MS, Math.max(0, now - lastStampMs))]++;
    windowCount++;
    totalCount++;
  }
}

/** Resolves once the server acknowledged the client's subscription (or `join` for bare). */
async function subscribeAll(socket, mode, client) {
  if (!client.streams?.length) return;
  if (mode === 'bare') {
    await socket.emitWithAck('join', client.streams);
    return;
  }
  const answer = await socket.emitWithAck('subscribe', { streams: client.streams.map((stream) => ({ stream })) });
  const failed = answer.ok ? answer.results.filter((r) => !r.ok) : [answer];
  if (failed.length > 0) throw new Error(`subscribe refused: ${JSON.stringify(failed[0])}`);
}

/** Connects one socket and subscribes it; resolves once the server acknowledged. */
async function connectOne(url, mode, client, localAddress) {
  if (USE_SOCKET_IO_CLIENT) return connectSocketIo(url, mode, client, localAddress);
  const socket = await connectProtocol(client.url ?? url, {
    auth: mode === 'real' ? { token: client.token } : undefined,
    localAddress,
    onEvents,
    onCount,
    countOnly: () => countOnly,
  });
  sockets.push(socket);
  await subscribeAll(socket, mode, client);
}

function connectSocketIo(url, mode, client, localAddress) {
  return new Promise((resolve, reject) => {
    const socket = io(`${client.url ?? url}/events`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 30_000,
      ...(localAddress ? { localAddress } : {}),
      ...(mode === 'real' ? { auth: { token: client.token } } : {}),
    });
    sockets.push(socket);
    socket.on('events', onEvents);
    socket.once('connect_error', (error) =>
      reject(new Error(`connect failed: ${JSON.stringify(error.data ?? error.message)}`)),
    );
    socket.once('connect', () => {
      if (!client.streams?.length) {
        resolve();
        return;
      }
      if (mode === 'bare') {
        socket.emit('join', client.streams, () => resolve());
        return;
      }
      socket
        .timeout(60_000)
        .emit('subscribe', { streams: client.streams.map((stream) => ({ stream })) }, (error, answer) => {
          if (error) return reject(error);
          const failed = answer.ok ? answer.results.filter((r) => !r.ok) : [answer];
          if (failed.length > 0) return reject(new Error(`subscribe refused: ${JSON.stringify(failed[0])}`));
          resolve();
        });
    });
  });
}

serveWorker({
  /**
   * Connects `clients` over `concurrency` lanes; `startAt` (epoch ms) lets several processes
   * start together. A failed connection rejects the call, or with `tolerant` is counted.
   */
  async connect({ url, mode, clients, concurrency = 25, localAddress, startAt, tolerant = false }) {
    if (startAt) await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
    const started = performance.now();
    const startedAt = Date.now();
    const failures = [];
    let next = 0;
    const lane = async () => {
      while (next < clients.length) {
        const connecting = connectOne(url, mode, clients[next++], localAddress);
        await (tolerant ? connecting.catch((error) => failures.push(error.message)) : connecting);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, lane));
    return {
      connected: sockets.filter((s) => s.connected).length,
      failed: failures.length,
      firstFailure: failures[0],
      ms: performance.now() - started,
      startedAt,
      finishedAt: Date.now(),
    };
  },
  /**
   * With `fast`, protocol clients count task envelopes on the raw frames instead of parsing
   * them, and record no latencies: for throughput-only steps, where parsing made the clients
   * the machine's largest consumer of CPU.
   */
  async counting({ fast }) {
    countOnly = fast && !USE_SOCKET_IO_CLIENT;
    return { countOnly };
  },
  /** Starts a measurement window. */
  async mark() {
    histogram = new Uint32Array(MAX_MS + 1);
    windowCount = 0;
    windowMessages = 0;
    return { at: Date.now() };
  },
  /** Deliveries and latencies since `mark` (sparse histogram). */
  async collect() {
    const sparse = {};
    histogram.forEach((count, ms) => {
      if (count > 0) sparse[ms] = count;
    });
    return { at: Date.now(), count: windowCount, messages: windowMessages, histogram: sparse };
  },
  /** Deliveries since the last `resetTotal`, and whether every socket is still connected. */
  async total({ reset = false } = {}) {
    const result = { count: totalCount, connected: sockets.filter((s) => s.connected).length };
    if (reset) totalCount = 0;
    return result;
  },
  async close() {
    for (const socket of sockets) socket.disconnect();
  },
});
