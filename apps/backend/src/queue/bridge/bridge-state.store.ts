import { randomUUID } from 'node:crypto';
import { hashTagged, type RedisClient } from '../../redis/redis-client';
import { LeaseLostException } from './lease-lost.exception';
import type { StreamCursor } from './stream-cursor.util';

// Every write checks the lock in the same script, so a node that lost the lock (paused,
// partitioned) cannot move the position of the node that holds it now.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;
const BEGIN = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'inflight', ARGV[2])
return 1`;
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'position', ARGV[2], 'ordinal', ARGV[6])
redis.call('HDEL', KEYS[2], 'inflight')
local closed = tonumber(ARGV[5])
for i = 7, 6 + closed do redis.call('ZADD', KEYS[3], ARGV[3], ARGV[i]) end
for i = 7 + closed, #ARGV do redis.call('ZREM', KEYS[3], ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[4])
return 1`;

/** How long a finished job is remembered, so a late entry cannot reopen it after a failover. */
const FINISHED_MEMORY_MS = 24 * 3600_000;

/** Where the bridge is in the queue's event stream. */
export interface BridgePosition {
  /** Last entry whose events are stored; undefined before the first batch ever. */
  position: StreamCursor | undefined;
  /** Last entry of a batch that was being published when its bridge stopped. */
  inflight: string | undefined;
}

/**
 * The bridge's lock and position in Redis, next to the stream it reads:
 * `<prefix>:queue-bridge:{<queue>}:(lock|state|finished)`. The lock is a lease
 * (SET NX PX, extended by its holder); `begin` marks a batch in flight before it is
 * published and `commit` moves the position after, so a successor knows exactly which
 * batch may be partly published.
 */
export class BridgeStateStore {
  readonly token = randomUUID();
  private readonly lockKey: string;
  private readonly stateKey: string;
  private readonly finishedKey: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    private readonly queue: string,
    private readonly ttlMs: number,
  ) {
    // One hash slot for the three (its scripts use them together), also on a Redis Cluster.
    const base = hashTagged(`${keyPrefix}:queue-bridge`, queue);
    [this.lockKey, this.stateKey, this.finishedKey] = [`${base}:lock`, `${base}:state`, `${base}:finished`];
  }

  /** Takes the lock, or extends it when this node already holds it. */
  async acquire(): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.lockKey, this.token, this.ttlMs)) === 1;
  }

  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.lockKey, this.token, this.ttlMs)) === 1;
  }

  /** Lets another node take over at once instead of after the lease. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.lockKey, this.token);
  }

  async load(): Promise<BridgePosition> {
    const [position, ordinal, inflight] = await this.redis.hmget(this.stateKey, 'position', 'ordinal', 'inflight');
    return {
      position: position ? { id: position, ordinal: ordinal ? Number(ordinal) : undefined } : undefined,
      inflight: inflight ?? undefined,
    };
  }

  async begin(upTo: string): Promise<void> {
    const ok = await this.redis.eval(BEGIN, 2, this.lockKey, this.stateKey, this.token, upTo);
    if (ok !== 1) throw new LeaseLostException(this.queue);
  }

  /**
   * Moves the position to `upTo` and remembers which jobs the batch ended (`closed`) or
   * started over (`reopened`, e.g. a manual retry of a failed job).
   */
  async commit(upTo: StreamCursor, jobs: { closed: readonly string[]; reopened: readonly string[] }): Promise<void> {
    const now = Date.now();
    const keys = [this.lockKey, this.stateKey, this.finishedKey];
    const ordinal = upTo.ordinal ?? '';
    const args = [this.token, upTo.id, now, now - FINISHED_MEMORY_MS, jobs.closed.length, ordinal, ...jobs.closed, ...jobs.reopened];
    const ok = await this.redis.eval(COMMIT, 3, ...keys, ...args);
    if (ok !== 1) throw new LeaseLostException(this.queue);
  }

  /** Which of `jobIds` finished in an earlier batch (possibly on another node). */
  async finishedAmong(jobIds: readonly string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const scores = await this.redis.zmscore(this.finishedKey, ...jobIds);
    return new Set(jobIds.filter((_, i) => scores[i] !== null));
  }
}
