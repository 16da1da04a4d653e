import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { TEST_REDIS } from '../testing/job-events.fixture';
import { coalesce } from './job-fact.util';
import { JobStateTracker } from './job-state.tracker';
import { parseStreamEntry, type JobStreamEntry, type RawStreamEntry } from './job-stream-entry.util';
import { QueueEventStream } from './queue-event-stream.store';
import { STREAM_START } from './stream-id.util';

const parsed = (entries: RawStreamEntry[]) => entries.map(parseStreamEntry).filter((e): e is JobStreamEntry => e !== undefined);

// What a worker writes: per job a few states and many progress values, jobs interleaved.
const event = fc.oneof(
  fc.record({ jobId: fc.constantFrom('1', '2', '3'), fields: fc.constant(['event', 'active']) }),
  fc.record({ jobId: fc.constantFrom('1', '2', '3'), fields: fc.constant(['event', 'completed', 'returnvalue', 'null']) }),
  fc.record({ jobId: fc.constantFrom('1', '2', '3'), fields: fc.constant(['event', 'waiting', 'prev', 'active']) }),
  fc.record({ jobId: fc.constantFrom('1', '2', '3'), fields: fc.integer({ min: 0, max: 100 }).map((n) => ['event', 'progress', 'data', String(n)]) }),
  fc.record({ jobId: fc.constant(''), fields: fc.constant(['event', 'drained']) }),
);

describe('QueueEventStream', () => {
  let redis: Redis;
  const keys: string[] = [];

  beforeAll(() => {
    redis = new Redis(TEST_REDIS);
  });
  afterAll(async () => {
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('reads in chunks what, coalesced, equals coalescing every entry, and counts what it skipped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 30 }), async (events, chunk) => {
        const key = `t-${randomUUID().slice(0, 8)}:events`;
        keys.push(key);
        for (const e of events) await redis.xadd(key, '*', ...(e.jobId ? [...e.fields.slice(0, 2), 'jobId', e.jobId, ...e.fields.slice(2)] : e.fields));
        const all = (await redis.xrange(key, '-', '+')) as RawStreamEntry[];

        const stream = new QueueEventStream(redis, key);
        const kept: RawStreamEntry[] = [];
        let [after, scanned] = [STREAM_START, 0];
        for (;;) {
          const read = await stream.readAfter(after, chunk);
          if (read.scanned === 0) break;
          kept.push(...read.entries);
          [after, scanned] = [read.lastId!, scanned + read.scanned];
          expect(read.firstOrdinal).toBe(1);
        }
        expect(scanned).toBe(all.length);
        expect(after).toBe(all.at(-1)![0]);
        expect(coalesce('q', parsed(kept), new JobStateTracker())).toEqual(coalesce('q', parsed(all), new JobStateTracker()));
        const range = await stream.range(STREAM_START, all.at(-1)![0]);
        expect(coalesce('q', parsed(range.entries), new JobStateTracker())).toEqual(coalesce('q', parsed(all), new JobStateTracker()));
      }),
      { numRuns: 40 },
    );
  });

  it('gives the ordinal of the first entry after trimming, and nothing for a stream that does not exist', async () => {
    const key = `t-${randomUUID().slice(0, 8)}:events`;
    keys.push(key);
    const stream = new QueueEventStream(redis, key);
    expect(await stream.readAfter(STREAM_START, 10)).toEqual({ entries: [], scanned: 0 });
    for (let i = 0; i < 5; i++) await redis.xadd(key, '*', 'event', 'active', 'jobId', String(i));
    await redis.xtrim(key, 'MAXLEN', 2);
    const read = await stream.readAfter(STREAM_START, 10);
    expect(read).toMatchObject({ scanned: 2, firstOrdinal: 4 });
  });
});
