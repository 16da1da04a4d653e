import type { AppConfig } from './config/app-config';
import { openEmbedded, openPostgres } from './database/database.factory';
import type { DatabaseHandle } from './database/database.types';
import { migrate } from './database/migrator';
import type { AppLogger } from './logging/app-logger';
import { connectRedis, type RedisClient, type RedisMode } from './redis/redis-client';
import type { WebsocketModuleOptions } from './websocket/websocket-options.types';

/** Each group of options may be overridden in part. */
export type WebsocketOverrides = {
  [K in keyof WebsocketModuleOptions]?: WebsocketModuleOptions[K] extends object
    ? Partial<WebsocketModuleOptions[K]>
    : WebsocketModuleOptions[K];
};

export interface RedisConnections {
  /** Commands (readiness, leases, alert state, queues). */
  client: RedisClient;
  /** Socket.IO adapter publisher and subscriber. */
  pub: RedisClient;
  sub: RedisClient;
  /** Sharded pub/sub subscriber for stored events (`EVENT_FANOUT=interest`). */
  events: RedisClient;
  mode: RedisMode;
}

/** Everything the app owns and hands to Nest: opened before the app, closed after it. */
export interface AppRuntime {
  config: AppConfig;
  logger: AppLogger;
  database: DatabaseHandle;
  redis: RedisConnections | undefined;
  /** For tests and benchmarks: tune the event layer beyond what the environment offers. */
  websocketOverrides?: WebsocketOverrides;
}

function openConnections(url: string, mode: RedisMode, logger: AppLogger): RedisConnections {
  const log = logger.child('Redis');
  let lastError = 0;
  const make = (role: string, shardedSubscriber = false): RedisClient => {
    const redis = connectRedis(url, mode, { shardedSubscriber });
    redis.on('error', (error: Error) => {
      // Reconnection errors repeat every few hundred ms while Redis is down; log at most every 5 s.
      if (Date.now() - lastError > 5000) log.warn({ role, error: error.message }, 'redis connection error');
      lastError = Date.now();
    });
    redis.on('ready', () => log.debug({ role }, 'redis ready'));
    return redis;
  };
  return { client: make('client'), pub: make('pub'), sub: make('sub'), events: make('events', true), mode };
}

/** Opens the database (migrating it) and Redis as configured, logging the mode once. */
export async function openRuntime(config: AppConfig, logger: AppLogger): Promise<AppRuntime> {
  const log = logger.child('Runtime');
  const database =
    'url' in config.database
      ? openPostgres({ url: config.database.url, poolSize: config.writes.poolSize, connectTimeoutMs: config.writes.timeoutMs })
      : await openEmbedded(config.database.embeddedDir);
  const session = await database.openSession();
  try {
    const result = await migrate(session);
    log.info({ applied: result.applied, alreadyApplied: result.alreadyApplied }, 'database migrated');
  } finally {
    await session.release();
  }
  const redis = config.redisUrl ? openConnections(config.redisUrl, config.redisMode, logger) : undefined;
  log.info(
    {
      database: database.mode,
      databaseAt: database.description,
      redis: redis ? redis.mode : 'none',
      mode: redis ? 'multi-node (Redis adapter)' : 'single node (in-memory adapter)',
      ...(redis && { eventFanout: config.eventFanout }),
    },
    `running with ${database.mode === 'embedded' ? 'an embedded PGlite database' : 'PostgreSQL'} and ${
      redis ? 'Redis (multi-node)' : 'no Redis (single node; queues are off)'
    }`,
  );
  if (config.jwt.usingDevSecret)
    log.warn('JWT_SECRET is not set: using the development secret (never in production)');
  if (config.jwt.jwks) {
    log.info({ url: config.jwt.jwks.url, algorithms: config.jwt.algorithms }, 'verifying tokens with keys from a JWKS');
    // Keys fetched in the clear can be swapped on the way; inside a cluster network it may be fine.
    if (config.env === 'production' && config.jwt.jwks.url.startsWith('http:'))
      log.warn('JWT_JWKS_URL is plain http: anyone on the path could substitute the keys');
  }
  return { config, logger, database, redis };
}

export async function closeRuntime(runtime: AppRuntime): Promise<void> {
  if (runtime.redis) {
    await Promise.allSettled([
      runtime.redis.client.quit(),
      runtime.redis.pub.quit(),
      runtime.redis.sub.quit(),
      runtime.redis.events.quit(),
    ]);
  }
  await runtime.database.close();
}
