// The baseline: a bare Socket.IO server (websocket only, no auth, no storage). Clients may
// join rooms; on `run` it broadcasts status changes to the tasks' rooms at the commanded
// rate, generated in this process by the same ticker as the real backend's launcher
// (room-server.mjs builds the envelopes).
import { memoryNow, nextStatusChange, runAtRate } from '../lib/rate-ticker.mjs';
import { serveWorker } from '../lib/worker.mjs';
import { startRoomServer } from './room-server.mjs';

let room;

serveWorker({
  async listen() {
    room = await startRoomServer();
    return { port: room.port, pid: process.pid };
  },
  /** Broadcasts `rate` status changes/s for `durationMs` over `streams`. */
  async run({ rate, durationMs, streams }) {
    return runAtRate({ rate, durationMs, emit: () => room.broadcast(nextStatusChange(streams)) });
  },
  async memory() {
    return memoryNow();
  },
  async sockets() {
    return { sockets: room.io.of('/events').sockets.size };
  },
  async close() {
    room?.io.close();
  },
});
