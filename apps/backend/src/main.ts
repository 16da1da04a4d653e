import type { Server } from 'node:http';
import 'reflect-metadata';
import { createApp } from './app.factory';
import { closeRuntime, openRuntime } from './app.runtime';
import { HttpDrain } from './common/http-drain.util';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { ReadinessService } from './health/readiness.service';
import { AppLogger } from './logging/app-logger';
import { WebsocketLifecycleService } from './websocket/websocket-lifecycle.service';

function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = new AppLogger(config.log);
  const log = logger.child('Main');
  const runtime = await openRuntime(config, logger);
  const app = await createApp(runtime);
  await app.listen(config.port, config.host);
  const http = new HttpDrain(app.getHttpServer() as Server);
  log.info({ port: config.port }, `listening on http://localhost:${config.port} (health: /health/ready)`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const readinessDelayMs = config.drainReadinessDelayMs;
    log.info({ signal, readinessDelayMs }, 'shutting down: readiness answers 503, still serving');
    app.get(ReadinessService).markDraining();
    http.startDraining(); // answers close their connection from now on; nothing is closed yet
    const deadline = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    try {
      // Until the load balancer's health checks have seen the 503 it keeps sending requests
      // here: the listener must stay open and serve them, or they are refused or reset.
      await new Promise((resolve) => setTimeout(resolve, readinessDelayMs));
      await app.get(WebsocketLifecycleService).drain(); // sockets told to go elsewhere
      // Before app.close, whose first steps stop the queue that a request in flight may still use.
      const { cut } = await http.closeListener(config.writes.timeoutMs);
      log.info({ cut }, 'listener closed');
      await app.close(); // stops the bridge and the workers (running jobs finish), then stores what is pending
      await closeRuntime(runtime);
      log.info('stopped');
      process.exit(0);
    } catch (error) {
      log.error({ error: (error as Error).message }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: Error) => {
  process.stderr.write(`startup failed: ${error.message}\n`);
  process.exit(1);
});
