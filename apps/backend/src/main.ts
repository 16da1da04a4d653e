import type { Server } from 'node:http';
import 'reflect-metadata';
import { createApp } from './app.factory';
import { closeRuntime, openRuntime } from './app.runtime';
import { stopKeepAlive } from './common/keep-alive.util';
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
  log.info({ port: config.port }, `listening on http://localhost:${config.port} (health: /health/ready)`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.get(ReadinessService).markDraining();
    stopKeepAlive(app.getHttpServer() as Server);
    const deadline = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    try {
      await app.get(WebsocketLifecycleService).drain(); // sockets told to go elsewhere
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
