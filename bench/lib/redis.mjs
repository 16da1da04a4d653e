// A Redis key prefix of its own per benchmark (`REDIS_KEY_PREFIX`), so that nodes of one
// benchmark talk to each other and to nobody else; its keys are deleted at the end.
import { randomBytes } from 'node:crypto';
import { backendRequire } from './backend.mjs';

const { Redis } = backendRequire('ioredis');

/** @default the local Redis */
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function benchRedis() {
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  return {
    url: REDIS_URL,
    prefix,
    /** The environment that puts a backend on this Redis under this prefix. */
    env: { REDIS_URL, REDIS_KEY_PREFIX: prefix },
    async cleanup() {
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
