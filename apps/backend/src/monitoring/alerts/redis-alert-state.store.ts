import type { RedisClient } from '../../redis/redis-client';
import type { AlertSuppression } from '../metric-labels.util';
import type {
  AlertReport,
  AlertStateStore,
  AlertWindows,
  ClearOutcome,
  ReportOutcome,
  SharedAlert,
} from './alert-state.types';

// KEYS: alert hash, its reporting nodes (sorted set: node -> last report ms), the set of open fingerprints.
// Every decision (open, who notifies, repeat, resolve) happens inside one script, so when several
// nodes report at once exactly one of them gets `notify` or `resolve`.
const DROP_STALE = `redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - staleAfter))`;

const REPORT = `
local now, node, value = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local groupWindow, repeatInterval, staleAfter, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
if redis.call('EXISTS', KEYS[1]) == 0 then
  if node == '' then return {'none'} end
  redis.call('HSET', KEYS[1], 'alertId', ARGV[9], 'alertname', ARGV[10], 'startsAt', ARGV[2], 'worst', ARGV[4],
    'meta', ARGV[11], 'status', 'pending', 'notifiedAt', '0', 'acked', '0')
  redis.call('SADD', KEYS[3], ARGV[1])
elseif node ~= '' then
  local worst = tonumber(redis.call('HGET', KEYS[1], 'worst'))
  if (ARGV[12] == 'above' and value > worst) or (ARGV[12] == 'below' and value < worst) then
    redis.call('HSET', KEYS[1], 'worst', ARGV[4])
  end
end
if node ~= '' then redis.call('ZADD', KEYS[2], now, node) end
${DROP_STALE}
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local f = redis.call('HMGET', KEYS[1], 'alertId', 'alertname', 'startsAt', 'worst', 'meta', 'status', 'notifiedAt', 'acked')
local action, detail = 'suppress', ''
if f[6] == 'pending' then
  if now - tonumber(f[3]) < groupWindow then detail = 'group_wait'
  else redis.call('HSET', KEYS[1], 'status', 'firing', 'notifiedAt', ARGV[2]); action = 'notify'; detail = 'first' end
elseif f[8] == '1' then detail = 'acknowledged'
elseif now - tonumber(f[7]) < repeatInterval then detail = 'duplicate'
else redis.call('HSET', KEYS[1], 'notifiedAt', ARGV[2]); action = 'notify'; detail = 'repeat' end
return {action, detail, f[1], f[2], f[3], f[4], f[5], redis.call('ZRANGE', KEYS[2], 0, -1)}
`;

const CLEAR = `
local now, node, staleAfter = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[2])
  return {'none'}
end
if node ~= '' then redis.call('ZREM', KEYS[2], node) end
${DROP_STALE}
if redis.call('ZCARD', KEYS[2]) > 0 then return {'none'} end
local f = redis.call('HMGET', KEYS[1], 'alertId', 'alertname', 'startsAt', 'worst', 'meta', 'status')
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
if f[6] == 'firing' then return {'resolve', '', f[1], f[2], f[3], f[4], f[5], {}} end
return {'dropped'}
`;

const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'notifiedAt', '0') else redis.call('HSET', KEYS[1], 'status', 'pending') end
return 1
`;

const ACKNOWLEDGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'acked', '1')
return 1
`;

type Reply = [string, string?, string?, string?, string?, string?, string?, string[]?];

function sharedAlert(reply: Reply): SharedAlert {
  const [, , alertId = '', alertname = '', startsAt = '0', worst = '0', meta = '{}', nodes = []] = reply;
  return {
    alertId,
    alertname,
    startsAt: Number(startsAt),
    worst: Number(worst),
    meta,
    nodes: [...nodes].sort(),
  };
}

/** Alert state shared by every node through Redis (the app's command connection). */
export class RedisAlertStateStore implements AlertStateStore {
  constructor(
    private readonly redis: RedisClient,
    /** e.g. `taskdash:{alerts}`: one hash slot (its scripts use several keys); every node shares the state. */
    private readonly prefix: string,
  ) {}

  async report(report: AlertReport, now: number, windows: AlertWindows): Promise<ReportOutcome> {
    // Keys outlive every window, and expire once nobody reports the alert any more.
    const ttl = 2 * Math.max(windows.groupWindowMs, windows.repeatIntervalMs, windows.staleAfterMs) + 60_000;
    const reply = (await this.redis.eval(
      REPORT,
      3,
      ...this.keys(report.fingerprint),
      report.fingerprint,
      now,
      report.nodeId ?? '',
      report.value,
      windows.groupWindowMs,
      windows.repeatIntervalMs,
      windows.staleAfterMs,
      ttl,
      report.alertId,
      report.alertname,
      report.meta,
      report.op,
    )) as Reply;
    const [action, detail] = reply;
    if (action === 'none') return { action: 'none' };
    if (action === 'notify') return { action, repeat: detail === 'repeat', alert: sharedAlert(reply) };
    return { action: 'suppress', reason: detail as AlertSuppression, alert: sharedAlert(reply) };
  }

  async clear(
    fingerprint: string,
    nodeId: string | undefined,
    now: number,
    staleAfterMs: number,
  ): Promise<ClearOutcome> {
    const reply = (await this.redis.eval(
      CLEAR,
      3,
      ...this.keys(fingerprint),
      fingerprint,
      now,
      nodeId ?? '',
      staleAfterMs,
    )) as Reply;
    if (reply[0] === 'resolve') return { action: 'resolve', alert: sharedAlert(reply) };
    return { action: reply[0] === 'dropped' ? 'dropped' : 'none' };
  }

  async release(fingerprint: string, repeat: boolean): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys(fingerprint)[0], repeat ? '1' : '0');
  }

  async acknowledge(fingerprint: string): Promise<void> {
    await this.redis.eval(ACKNOWLEDGE, 1, this.keys(fingerprint)[0]);
  }

  open(): Promise<string[]> {
    return this.redis.smembers(`${this.prefix}:open`);
  }

  private keys(fingerprint: string): [string, string, string] {
    return [`${this.prefix}:${fingerprint}`, `${this.prefix}:${fingerprint}:nodes`, `${this.prefix}:open`];
  }
}
