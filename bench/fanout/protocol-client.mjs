// A minimal Socket.IO v5 client over `ws`, for the client swarm: the same frames on the wire
// as socket.io-client (Engine.IO open, namespace CONNECT with `auth`, acknowledged events,
// ping/pong, `events` messages), without its per-message machinery. socket.io-client spent
// about 27 us of CPU per message, so at the fan-out benchmark's rates the client processes
// took more than one of the machine's two cores and set the figures, not the servers.
// `BENCH_CLIENT=socket.io-client` runs the swarm on socket.io-client instead.
import { Buffer } from 'node:buffer';
import { rootRequire } from '../lib/backend.mjs';

const WebSocket = rootRequire('ws');

const NAMESPACE = '/events';
const EVENT = `42${NAMESPACE},`;
const ACK = `43${NAMESPACE},`;

const EVENTS_FRAME = Buffer.from(`${EVENT}["events",`);
const TASK_ENVELOPE = Buffer.from('"stream":"task:');

/** Task envelopes in an `events` frame, counted on the raw bytes: no decoding, no parsing. */
function countTaskEnvelopes(frame) {
  let count = 0;
  for (let at = frame.indexOf(TASK_ENVELOPE); at >= 0; at = frame.indexOf(TASK_ENVELOPE, at + TASK_ENVELOPE.length))
    count++;
  return count;
}

/**
 * Opens `url`'s `/events` namespace. `onEvents(envelopes)` gets every `events` message, or,
 * while `countOnly()` is true, `onCount(n)` gets the number of task envelopes in it, counted
 * without decoding the frame (for throughput figures, where the clients' JSON parsing would
 * otherwise take the CPU the server is measured on).
 * Resolves with `{ connected, emitWithAck(name, payload), disconnect() }` once connected;
 * rejects on `connect_error` (with the server's `data`) or a transport error.
 */
export function connectProtocol(url, { auth, localAddress, onEvents, onCount, countOnly = () => false }) {
  const address = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(address, {
    perMessageDeflate: false,
    // The frames come from our own server over loopback; validating every byte of every
    // message as UTF-8 was a fixed cost per delivery that the server's figures do not need.
    skipUTF8Validation: true,
    ...(localAddress ? { localAddress } : {}),
  });
  const acks = new Map();
  let nextAck = 0;
  const socket = {
    connected: false,
    emitWithAck(name, payload) {
      const id = nextAck++;
      return new Promise((resolve) => {
        acks.set(id, resolve);
        ws.send(`${EVENT}${id}${JSON.stringify([name, payload])}`);
      });
    },
    disconnect() {
      ws.close();
    },
  };
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', () => (socket.connected = false));
    ws.on('message', (data) => {
      if (countOnly() && data.subarray(0, EVENTS_FRAME.length).equals(EVENTS_FRAME)) {
        onCount(countTaskEnvelopes(data));
        return;
      }
      const text = data.toString();
      if (text.startsWith(EVENT)) {
        const [name, envelopes] = JSON.parse(text.slice(EVENT.length));
        if (name === 'events') onEvents(envelopes);
      } else if (text === '2') {
        ws.send('3');
      } else if (text.startsWith(ACK)) {
        const body = text.slice(ACK.length);
        const open = body.indexOf('[');
        const id = Number(body.slice(0, open));
        acks.get(id)?.(JSON.parse(body.slice(open))[0]);
        acks.delete(id);
      } else if (text.startsWith('0')) {
        ws.send(`40${NAMESPACE},${auth ? JSON.stringify(auth) : ''}`);
      } else if (text.startsWith(`40${NAMESPACE},`)) {
        socket.connected = true;
        resolve(socket);
      } else if (text.startsWith(`44${NAMESPACE},`)) {
        reject(new Error(`connect failed: ${text.slice(`44${NAMESPACE},`.length)}`));
      }
    });
  });
}
