import type { Redis } from 'ioredis';
import type { RawStreamEntry } from './job-stream-entry.util';

export interface StreamRead {
  entries: RawStreamEntry[];
  /**
   * Ordinal (1-based, counting every entry ever added) of the stream's first entry when
   * the entries were read: `entries-added - length + 1`. Undefined before Redis 7.
   */
  firstOrdinal?: number;
}

type XReadReply = [key: string, entries: RawStreamEntry[]][] | null;

/**
 * Reads BullMQ's `<prefix>:<queue>:events` stream. Each read runs in one MULTI with
 * XINFO STREAM, so the reader knows the ordinal of the stream's first entry at that very
 * moment. BullMQ only ever trims from the head (XADD MAXLEN ~), so a reader that knows
 * the ordinal of its position can tell exactly whether entries after it were trimmed:
 * a gap is detected, never guessed. (XINFO's `max-deleted-entry-id` cannot tell: trimming
 * does not update it.)
 */
export class QueueEventStream {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  /** Up to `count` entries after `after`. */
  readAfter(after: string, count: number): Promise<StreamRead> {
    return this.read((multi) => multi.xread('COUNT', count, 'STREAMS', this.key, after), (reply: XReadReply) => reply?.[0]?.[1] ?? []);
  }

  /** The entries in `(after, upTo]`, to publish again a batch that was in flight. */
  range(after: string, upTo: string): Promise<StreamRead> {
    return this.read((multi) => multi.xrange(this.key, `(${after}`, upTo), (reply: RawStreamEntry[] | null) => reply ?? []);
  }

  private async read<R>(
    command: (multi: ReturnType<Redis['multi']>) => ReturnType<Redis['multi']>,
    entriesOf: (reply: R) => RawStreamEntry[],
  ): Promise<StreamRead> {
    const results = await command(this.redis.multi().xinfo('STREAM', this.key)).exec();
    const [info, read] = results ?? [];
    if (read?.[0]) throw read[0];
    // No stream yet (XINFO fails on a missing key): nothing to read, nothing lost.
    if (!info || info[0]) return { entries: [] };
    const fields = info[1] as unknown[];
    const added = Number(field(fields, 'entries-added'));
    const length = Number(field(fields, 'length'));
    const entries = entriesOf(read?.[1] as R);
    return Number.isFinite(added) ? { entries, firstOrdinal: added - length + 1 } : { entries };
  }
}

function field(flat: unknown[], name: string): unknown {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === name) return flat[i + 1];
  return undefined;
}
