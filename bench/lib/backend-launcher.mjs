// The real backend, booted in this process exactly as apps/backend/src/main.ts boots it
// (loadConfig -> openRuntime -> createApp -> listen, configured by the environment this
// process was forked with), plus commands over IPC that main.ts does not have:
// - `run`: publishes `task.status_changed` events at a commanded rate through the app's own
//   EventPublisher (`app.get(EventPublisher)`), the way backend services publish, so a
//   fan-out benchmark measures storing and fanning out rather than an HTTP request path;
// - `memory`, `sockets`: what the server holds, for the connection benchmarks;
// - `received`: events this node got from other nodes (the four-node fan-out benchmark).
// Started by `startLauncher` (lib/server.mjs).
import { backend, backendRequire } from './backend.mjs';
import { memoryNow, nextStatusChange, runAtRate } from './rate-ticker.mjs';
import { round } from './stats.mjs';
import { serveWorker } from './worker.mjs';

backendRequire('reflect-metadata');
const { createApp } = backend();
const { closeRuntime, openRuntime } = backend();
const { ConfigError, loadConfig } = backend();
const { AppLogger } = backend();
const { EventPublisher } = backend();
const { ConnectionManagerService } = backend();
const { EventFanout } = backend();

let app;
let runtime;
let url;

/**
 * Batch INSERTs so far, from the app's own metrics (`taskdash_publish_write_seconds`); NaN
 * when metrics are off.
 */
async function writeTotals() {
  const token = process.env.METRICS_TOKEN;
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const text = await (await globalThis.fetch(`${url}/metrics`, { headers })).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    seconds: value('taskdash_publish_write_seconds_sum'),
    count: value('taskdash_publish_write_seconds_count'),
  };
}

serveWorker({
  async start() {
    let config;
    try {
      config = loadConfig();
    } catch (error) {
      throw new Error(error instanceof ConfigError ? error.message : String(error), { cause: error });
    }
    const logger = new AppLogger(config.log);
    runtime = await openRuntime(config, logger);
    app = await createApp(runtime);
    await app.listen(config.port, config.host);
    const { port } = app.getHttpServer().address();
    url = `http://127.0.0.1:${port}`;
    return { url, pid: process.pid };
  },
  /** Publishes `rate` events/s for `durationMs` over `streams`; resolves once all are stored. */
  async run({ rate, durationMs, streams, maxOutstanding }) {
    const publisher = app.get(EventPublisher);
    const before = await writeTotals();
    const result = await runAtRate({
      rate,
      durationMs,
      maxOutstanding,
      emit: () => publisher.publish(nextStatusChange(streams)),
    });
    const after = await writeTotals();
    const writes = after.count - before.count;
    // How much of the publish latency is the database: the mean batch INSERT, as the app measures it.
    return {
      ...result,
      writes,
      meanWriteMs: writes > 0 ? round(((after.seconds - before.seconds) / writes) * 1000, 1) : 0,
    };
  },
  async memory() {
    return memoryNow();
  },
  async sockets() {
    return app.get(ConnectionManagerService).stats();
  },
  /** Events this node received from other nodes so far (either fan-out mode). */
  async received() {
    return { events: app.get(EventFanout).receivedFromPeers };
  },
  async close() {
    await app?.close();
    if (runtime) await closeRuntime(runtime);
  },
});
