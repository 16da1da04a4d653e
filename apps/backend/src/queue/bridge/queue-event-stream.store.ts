import type { Redis } from 'ioredis';
import type { RawStreamEntry } from './job-stream-entry.util';
import { compareStreamIds, STREAM_START } from './stream-id.util';

export interface StreamRead {
  entries: RawStreamEntry[];
  /** Entries after the read's start had been trimmed away before the read: events were lost. */
  trimmed: boolean;
  /** The last trimmed entry; everything up to it is gone. */
  maxDeleted?: string;
}

type XReadReply = [key: string, entries: RawStreamEntry[]][] | null;

/**
 * Reads BullMQ's `<prefix>:<queue>:events` stream. Each read runs in one MULTI with
 * XINFO STREAM, whose `max-deleted-entry-id` (Redis 7) says exactly whether an entry after
 * the read's start was trimmed before the read: a gap is detected, never guessed.
 */
export class QueueEventStream {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  /** Up to `count` entries after `after`. */
  readAfter(after: string, count: number): Promise<StreamRead> {
    return this.read(after, (multi) => multi.xread('COUNT', count, 'STREAMS', this.key, after), (reply: XReadReply) => reply?.[0]?.[1] ?? []);
  }

  /** The entries in `(after, upTo]`, to publish again a batch that was in flight. */
  range(after: string, upTo: string): Promise<StreamRead> {
    return this.read(after, (multi) => multi.xrange(this.key, `(${after}`, upTo), (reply: RawStreamEntry[] | null) => reply ?? []);
  }

  private async read<R>(
    after: string,
    command: (multi: ReturnType<Redis['multi']>) => ReturnType<Redis['multi']>,
    entriesOf: (reply: R) => RawStreamEntry[],
  ): Promise<StreamRead> {
    const results = await command(this.redis.multi().xinfo('STREAM', this.key)).exec();
    const [info, read] = results ?? [];
    if (read?.[0]) throw read[0];
    // No stream yet (XINFO fails on a missing key): nothing to read, nothing lost.
    if (!info || info[0]) return { entries: [], trimmed: false };
    const maxDeleted = field(info[1] as unknown[], 'max-deleted-entry-id');
    const trimmed = after !== STREAM_START && typeof maxDeleted === 'string' && compareStreamIds(maxDeleted, after) > 0;
    return { entries: entriesOf(read?.[1] as R), trimmed, ...(typeof maxDeleted === 'string' ? { maxDeleted } : {}) };
  }
}

function field(flat: unknown[], name: string): unknown {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === name) return flat[i + 1];
  return undefined;
}
