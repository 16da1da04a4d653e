import { Cluster, Redis } from 'ioredis';

/**
 * A connection to Redis, standalone or a Redis Cluster. Everything the backend does with
 * Redis (commands, Lua scripts, pub/sub, BullMQ) works on both: every multi-key command and
 * script names keys of one hash slot (`{...}` hash tags, see `hashTagged`).
 */
export type RedisClient = Redis | Cluster;

export type RedisMode = 'standalone' | 'cluster';

export interface RedisConnectOptions {
  /** Subscriber connection for sharded pub/sub (`SSUBSCRIBE`): one per primary in a cluster. */
  shardedSubscriber?: boolean;
}

/**
 * Opens a connection. In cluster mode `url` is a seed: the client reads the slot map from
 * it and connects to every primary. Commands queue while Redis is away and run when it is
 * back (no retry cap), as for a standalone server.
 */
export function connectRedis(url: string, mode: RedisMode, options: RedisConnectOptions = {}): RedisClient {
  if (mode === 'standalone') {
    return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
  }
  const seed = new URL(url);
  const auth = {
    ...(seed.username && { username: decodeURIComponent(seed.username) }),
    ...(seed.password && { password: decodeURIComponent(seed.password) }),
    ...(seed.protocol === 'rediss:' && { tls: {} }),
  };
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], {
    redisOptions: { maxRetriesPerRequest: null, ...auth },
    enableReadyCheck: true,
    lazyConnect: false,
    shardedSubscribers: options.shardedSubscriber === true,
  });
}

/**
 * `<prefix>:{<tag>}`: keys that start with it hash to one slot of a Redis Cluster, which a
 * Lua script or MULTI over several of them needs. Standalone Redis ignores the braces.
 */
export const hashTagged = (prefix: string, tag: string): string => `${prefix}:{${tag}}`;

/**
 * Deletes every key under `prefix`: on each primary of a cluster (SCAN sees one node's
 * keys), one key per command (a multi-key DEL must stay within one slot).
 */
export async function removeKeysWithPrefix(redis: RedisClient, prefix: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await Promise.all(keys.map((key) => redis.unlink(key)));
      cursor = next;
    } while (cursor !== '0');
  }
}
