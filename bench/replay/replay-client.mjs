// A reconnecting client: each `replay` opens a new socket, subscribes with a stored
// position and times, from the `subscribe` emit, the acknowledgement and the arrival of
// the last missed event, checking that the replayed seqs are exactly the missing ones.
import { performance } from 'node:perf_hooks';
import { rootRequire } from '../lib/backend.mjs';
import { serveWorker } from '../lib/worker.mjs';

const { io } = rootRequire('socket.io-client');

function open(url, token) {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}/events`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token },
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) =>
      reject(new Error(`connect failed: ${JSON.stringify(error.data ?? error.message)}`)),
    );
  });
}

function subscribe(socket, request) {
  return new Promise((resolve, reject) => {
    socket.timeout(30_000).emit('subscribe', request, (error, answer) => {
      if (error) return reject(error);
      const result = answer.ok ? answer.results[0] : answer;
      if (!result?.ok) return reject(new Error(`subscribe refused: ${JSON.stringify(result)}`));
      resolve(result);
    });
  });
}

serveWorker({
  /** Subscribes live (no position) and returns the position the server answers with. */
  async probe({ url, token, stream }) {
    const socket = await open(url, token);
    try {
      return (await subscribe(socket, { streams: [{ stream }] })).position;
    } finally {
      socket.disconnect();
    }
  },
  async replay({ url, token, stream, position, expected }) {
    const socket = await open(url, token);
    try {
      let next = position.seq + 1;
      let received = 0;
      let started = 0;
      const done = new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${received} of ${expected} replayed events within 30 s`)),
          30_000,
        );
        socket.on('events', (envelopes) => {
          for (const envelope of envelopes) {
            if (envelope.stream !== stream) continue;
            if (envelope.seq !== next) {
              clearTimeout(timer);
              reject(new Error(`expected seq ${next}, got ${envelope.seq}`));
              return;
            }
            next++;
            if (++received === expected) {
              clearTimeout(timer);
              resolve(performance.now());
            }
          }
        });
      });
      started = performance.now();
      const result = await subscribe(socket, { streams: [{ stream, position }] });
      const ackMs = performance.now() - started;
      if (!result.recovered || result.replayed !== expected)
        throw new Error(`not recovered: ${JSON.stringify(result)}`);
      const finished = await done;
      return { ms: finished - started, ackMs };
    } finally {
      socket.disconnect();
    }
  },
});
