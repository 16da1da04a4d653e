import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '../config/app-config';
import { AppLogger } from '../logging/app-logger';
import { ExecutionWorker } from '../queue/execution-worker.service';
import { JobHandlerRegistry } from '../queue/job-handler.registry';
import { connectRedis } from '../redis/redis-client';

// `node apps/backend/dist/cli/worker.cli.js`: runs the executions queue's jobs in a process
// of its own (then set QUEUE_WORKER=off on the backends). Reads the backend's environment:
// REDIS_URL, REDIS_KEY_PREFIX, QUEUE_WORKER_CONCURRENCY, LOG_*. Job events still reach
// clients: a backend's bridge reads them from Redis, wherever the worker runs.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new AppLogger(config.log);
  Logger.overrideLogger(logger);
  const log = logger.child('WorkerCli');
  if (!config.redisUrl) {
    log.error('REDIS_URL is not set: job queues are off, there is nothing to work on');
    process.exit(78); // EX_CONFIG
  }
  const redis = connectRedis(config.redisUrl, config.redisMode);
  redis.on('error', (error: Error) => log.warn({ error: error.message }, 'redis connection error'));
  const worker = new ExecutionWorker(
    { redis, keyPrefix: config.redisKeyPrefix, concurrency: config.queue.concurrency, lockMs: config.queue.jobLockMs },
    new JobHandlerRegistry(),
  );
  worker.start();

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: waiting for running jobs');
    const deadline = setTimeout(() => process.exit(1), config.shutdownTimeoutMs).unref();
    await worker.close();
    await redis.quit();
    clearTimeout(deadline);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: Error) => {
  process.stderr.write(`worker failed: ${error instanceof ConfigError ? error.message : error.message}\n`);
  process.exit(1);
});
