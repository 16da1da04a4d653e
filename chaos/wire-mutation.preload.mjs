// Preloaded into a backend process (NODE_OPTIONS=--import) by the mutation check: a build
// that is wrong on purpose, to prove the fault suite sees what it claims to. With
// CHAOS_WIRE_MUTATION=duplicate:<p> each WebSocket frame carrying live or replayed `events`
// is sent twice with probability p; with drop:<p> it is not sent at all. It patches ws'
// Sender (the one engine.io uses), below both write paths (Engine.IO's and the direct
// pre-encoded frame of packet-writer.util.ts).
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';

const [mode, rate] = (process.env.CHAOS_WIRE_MUTATION ?? '').split(':');
const probability = Number(rate);
if ((mode === 'duplicate' || mode === 'drop') && probability > 0) {
  const fromBackend = createRequire(new URL('../apps/backend/package.json', import.meta.url));
  const fromSocketIo = createRequire(fromBackend.resolve('socket.io'));
  const fromEngineIo = createRequire(fromSocketIo.resolve('engine.io'));
  const { Sender } = fromEngineIo('ws');
  const MARK = '["events",';
  const carriesEvents = (list) =>
    list.some((part) =>
      (typeof part === 'string'
        ? part
        : Buffer.isBuffer(part)
          ? part.toString('latin1', 0, 64)
          : ''
      ).includes(MARK),
    );
  const sendFrame = Sender.prototype.sendFrame;
  Sender.prototype.sendFrame = function (list, cb) {
    if (!carriesEvents(list) || Math.random() >= probability) return sendFrame.call(this, list, cb);
    if (mode === 'drop') {
      cb?.();
      return undefined;
    }
    sendFrame.call(this, list);
    return sendFrame.call(this, list, cb);
  };
}
