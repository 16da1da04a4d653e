import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { expectEventually } from '../../../../test/eventually';
import {
  clientExecutor,
  createTestDatabase,
  testClients,
  type TestDatabase,
} from '../../../../test/test-database';
import { EventStore, type PendingEvent } from './event-store';
import { RetentionService } from './retention.service';

const events = (stream: string, n: number): PendingEvent[] =>
  Array.from({ length: n }, () => ({
    id: randomUUID(),
    stream,
    type: 'task.deleted',
    payload: { taskId: randomUUID() },
    occurredAt: new Date(),
  }));

const HOUR = 3600_000;

describe('RetentionService on PostgreSQL', () => {
  let db: TestDatabase;
  const clients = testClients(() => db.url);
  const connect = () => clients.connect();
  let sql: Client;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect();
    store = new EventStore(clientExecutor(sql));
  });
  afterAll(async () => {
    await clients.end();
    await db.drop();
  });

  const stored = async (stream: string) =>
    (
      await sql.query<{ seq: string }>('SELECT seq FROM events WHERE stream = $1 ORDER BY seq', [stream])
    ).rows.map((r) => Number(r.seq));
  const firstSeq = async (stream: string) =>
    Number(
      (
        await sql.query<{ first_seq: string }>('SELECT first_seq FROM event_streams WHERE name = $1', [
          stream,
        ])
      ).rows[0]?.first_seq,
    );

  it('keeps the newest maxPerStream events of each stream and leaves shorter streams alone', async () => {
    const long = `task:${randomUUID()}`;
    const short = `task:${randomUUID()}`;
    await store.append([...events(long, 30), ...events(short, 5)]);
    const retention = new RetentionService(clientExecutor(sql), {
      maxAgeMs: HOUR,
      maxPerStream: 10,
      intervalMs: 0,
    });
    const result = await retention.purge();
    expect(result).toEqual({ streams: 1, events: 20 });
    expect(await stored(long)).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    expect(await firstSeq(long)).toBe(21);
    expect(await stored(short)).toEqual([1, 2, 3, 4, 5]);
    expect(await firstSeq(short)).toBe(1);
    // Nothing more to do: a second purge changes nothing.
    expect(await retention.purge()).toEqual({ streams: 0, events: 0 });
  });

  it('removes events stored before the age limit, however few the stream holds', async () => {
    const aged = `task:${randomUUID()}`;
    const fresh = `task:${randomUUID()}`;
    await store.append([...events(aged, 12), ...events(fresh, 3)]);
    await sql.query(
      `UPDATE events SET stored_at = now() - interval '2 hours' WHERE stream = ANY($1) AND seq <= 7`,
      [[aged]],
    );
    const retention = new RetentionService(clientExecutor(sql), {
      maxAgeMs: HOUR,
      maxPerStream: 1000,
      intervalMs: 0,
    });
    expect(await retention.purge()).toEqual({ streams: 1, events: 7 });
    expect(await stored(aged)).toEqual([8, 9, 10, 11, 12]);
    expect(await firstSeq(aged)).toBe(8);
    expect(await stored(fresh)).toEqual([1, 2, 3]);
  });

  it('locks the streams it advances in name order, as appends do, so it cannot deadlock with one', async () => {
    // Created `b` first, so `b` comes first in table order; an append locks `a` before `b`.
    const prefix = `task:${randomUUID()}`;
    const [a, b] = [`${prefix}-a`, `${prefix}-b`];
    await store.append(events(b, 4));
    await store.append(events(a, 4));
    const holder = await connect();
    const purger = await connect();
    const prober = await connect();
    const purgerPid = (await purger.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM event_streams WHERE name = $1 FOR NO KEY UPDATE', [b]);
    const retention = new RetentionService(clientExecutor(purger), {
      maxAgeMs: HOUR,
      maxPerStream: 2,
      intervalMs: 0,
    });
    const purging = retention.purge();
    await expectEventually(async () => {
      const { rows } = await prober.query<{ wait: string | null }>(
        'SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1',
        [purgerPid],
      );
      expect(rows[0]?.wait).toBe('Lock');
    });
    // Waiting for `b`, the purge already holds `a`: an append of a and b would now wait for
    // the purge at `a` before it holds anything the purge waits for.
    try {
      await prober.query('BEGIN');
      await expect(
        prober.query('SELECT 1 FROM event_streams WHERE name = $1 FOR NO KEY UPDATE NOWAIT', [a]),
      ).rejects.toMatchObject({
        code: '55P03',
      });
    } finally {
      // Failed or not, release both locks so that the purge and the tests after it go on.
      await prober.query('ROLLBACK');
      await holder.query('COMMIT');
    }
    // (Streams of the tests before are purged too: the purge covers every stream.)
    expect((await purging).streams).toBeGreaterThanOrEqual(2);
    expect(await stored(a)).toEqual([3, 4]);
    expect(await stored(b)).toEqual([3, 4]);
  });

  it('runs alongside appends to the streams it purges without a deadlock or a lost event', async () => {
    const streams = Array.from({ length: 20 }, () => `task:${randomUUID()}`);
    const appender = new EventStore(clientExecutor(await connect()));
    const retention = new RetentionService(clientExecutor(await connect()), {
      maxAgeMs: HOUR,
      maxPerStream: 5,
      intervalMs: 0,
    });
    let appending = true;
    const appends = (async () => {
      let batches = 0;
      while (appending) {
        await appender.append(streams.flatMap((s) => events(s, 2)));
        batches++;
      }
      return batches;
    })();
    try {
      for (let i = 0; i < 200; i++) await retention.purge();
    } finally {
      appending = false;
    }
    const batches = await appends;
    await retention.purge();
    for (const stream of streams) {
      const last = batches * 2;
      expect(await stored(stream)).toEqual([last - 4, last - 3, last - 2, last - 1, last]);
    }
  });
});
