import { createHash } from 'node:crypto';
import type { RedisClient } from '../../redis/redis-client';
import type { RawStreamEntry } from './job-stream-entry.util';

// Reads `(after, upTo]` (at most `count` entries) and, in the same atomic step, the ordinal
// of the stream's first entry (`entries-added - length + 1`). Of each job's run of progress
// entries it returns only the last before the job's next other entry: a worker reporting
// thousands of times a second costs the bridge a handful of entries per read. Coalescing
// the result again gives what coalescing everything would (see job-fact.util.ts).
const READ = `
local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
if info.err then return {-2} end
local added, length = -1, 0
for i = 1, #info, 2 do
  if info[i] == 'entries-added' then added = info[i + 1] elseif info[i] == 'length' then length = info[i + 1] end
end
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], ARGV[2], 'COUNT', ARGV[3])
local kept, later = {}, {}
for i = #entries, 1, -1 do
  local fields, event, job = entries[i][2], nil, nil
  for f = 1, #fields, 2 do
    if fields[f] == 'event' then event = fields[f + 1] elseif fields[f] == 'jobId' then job = fields[f + 1] end
  end
  if job and event == 'progress' then
    if not later[job] then later[job] = true; kept[#kept + 1] = entries[i] end
  elseif job then
    later[job] = nil
    kept[#kept + 1] = entries[i]
  end
end
local out = { added >= 0 and added - length + 1 or -1, #entries, #entries > 0 and entries[#entries][1] or '' }
for i = #kept, 1, -1 do out[#out + 1] = kept[i] end
return out`;
const READ_SHA = createHash('sha1').update(READ).digest('hex');

export interface StreamRead {
  /** The entries that matter: every job state entry, and the last of each run of a job's progress. */
  entries: RawStreamEntry[];
  /** How many entries the read went through (progress left out included). */
  scanned: number;
  /** The last entry gone through; undefined when none. */
  lastId?: string;
  /**
   * Ordinal (1-based, counting every entry ever added) of the stream's first entry at the
   * moment of the read. Undefined before Redis 7 (no `entries-added`).
   */
  firstOrdinal?: number;
}

type ScriptReply = [firstOrdinal: number, scanned?: number, lastId?: string, ...entries: RawStreamEntry[]];

/**
 * Reads BullMQ's `<prefix>:<queue>:events` stream. Because BullMQ only trims from the head
 * (XADD MAXLEN ~), a reader that knows the ordinal of its position can tell exactly
 * whether entries after it were trimmed: a gap is detected, never guessed. (XINFO's
 * `max-deleted-entry-id` cannot tell: trimming does not move it.)
 */
export class QueueEventStream {
  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
  ) {}

  /** Entries after `after`, going through at most `count`. */
  readAfter(after: string, count: number): Promise<StreamRead> {
    return this.read(after, '+', count);
  }

  /** The entries in `(after, upTo]`, to publish again a batch that was in flight. */
  range(after: string, upTo: string): Promise<StreamRead> {
    return this.read(after, upTo, Number.MAX_SAFE_INTEGER);
  }

  private async read(after: string, upTo: string, count: number): Promise<StreamRead> {
    const args = [READ_SHA, 1, this.key, after, upTo, count] as const;
    let reply: ScriptReply;
    try {
      reply = (await this.redis.evalsha(...args)) as ScriptReply;
    } catch (error) {
      if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
      reply = (await this.redis.eval(READ, 1, this.key, after, upTo, count)) as ScriptReply;
    }
    const [firstOrdinal, scanned = 0, lastId = '', ...entries] = reply;
    // -2: no stream yet (nothing to read, nothing lost); -1: Redis before 7.
    return {
      entries,
      scanned,
      ...(lastId ? { lastId } : {}),
      ...(firstOrdinal >= 0 ? { firstOrdinal } : {}),
    };
  }
}
