// Preloaded into a backend process (NODE_OPTIONS=--import) by the crash test: the first
// time committed events of type CRASH_AFTER_COMMIT_TYPE are handed to delivery, i.e. after
// their transaction committed and before any socket or other node heard of them, the
// process dies with SIGKILL, as a node does when it is OOM-killed or its host fails.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { CommittedEvents } = require('../../apps/backend/dist/events/committed-events.js');

const type = process.env.CRASH_AFTER_COMMIT_TYPE;
const emit = CommittedEvents.prototype.emit;
CommittedEvents.prototype.emit = function (events) {
  if (type && events.some((event) => event.type === type)) process.kill(process.pid, 'SIGKILL');
  return emit.call(this, events);
};
