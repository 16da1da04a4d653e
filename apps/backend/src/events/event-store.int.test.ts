import { randomUUID } from 'node:crypto';
import { delay } from '../../../../test/eventually';
import { clientExecutor, createTestDatabase, testClients, type TestDatabase } from '../../../../test/test-database';
import { EventStore, NO_EPOCH, type PendingEvent } from './event-store';

const event = (stream: string): PendingEvent => ({
  id: randomUUID(),
  stream,
  type: 'task.deleted',
  payload: { taskId: randomUUID() },
  occurredAt: new Date(),
});

describe('EventStore on PostgreSQL', () => {
  let db: TestDatabase;
  const clients = testClients(() => db.url);
  const connect = () => clients.connect();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await clients.end();
    await db.drop();
  });

  it('numbers each stream 1, 2, 3, ... within and across batches, in input order', async () => {
    const store = new EventStore(clientExecutor(await connect()));
    const a = `task:${randomUUID()}`;
    const b = `task:${randomUUID()}`;
    const first = await store.append([event(a), event(b), event(a)]);
    const second = await store.append([event(b), event(a)]);
    expect(first.map((e) => [e.stream, e.seq])).toEqual([
      [a, 1],
      [b, 1],
      [a, 2],
    ]);
    expect(second.map((e) => [e.stream, e.seq])).toEqual([
      [b, 2],
      [a, 3],
    ]);
    const stored = await store.read(a, 0, 100, 100);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(stored.map((e) => e.id)).toEqual([first[0]!.id, first[2]!.id, second[1]!.id]);
    expect(new Set(stored.map((e) => e.epoch)).size).toBe(1);
  });

  it('eight concurrent publishers with random delays before commit: contiguous seqs, and a reader of "after N" never skips one', async () => {
    const stream = `task:${randomUUID()}`;
    const writers = await Promise.all(Array.from({ length: 8 }, () => connect()));
    const reader = new EventStore(clientExecutor(await connect()));
    const perWriter = 25;
    const sizes = writers.map(() => Array.from({ length: perWriter }, () => 1 + Math.floor(Math.random() * 3)));
    const total = sizes.flat().reduce((a, b) => a + b, 0);
    const seen: number[] = [];
    let done = false;

    // The reader follows the stream the way a replay does: "events after the last seq I saw".
    const reading = (async () => {
      let after = 0;
      while (!done || after < total) {
        const page = await reader.read(stream, after, Number.MAX_SAFE_INTEGER, 1000);
        for (const e of page) seen.push(e.seq);
        if (page.length > 0) after = page[page.length - 1]!.seq;
        else await delay(1);
      }
    })();

    await Promise.all(
      writers.map(async (client, w) => {
        for (const size of sizes[w]!) {
          const batch = Array.from({ length: size }, () => event(stream));
          await client.query('BEGIN');
          await client.query(EventStore.APPEND_SQL, EventStore.appendParams(batch));
          // Hold the transaction open for a while: a late commit must not let the reader skip it.
          await delay(Math.random() * 8);
          await client.query('COMMIT');
        }
      }),
    );
    done = true;
    await reading;

    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const [head] = await reader.heads([stream]);
    expect(head?.lastSeq).toBe(total);
  });

  it('finds stored events by id, to settle a batch whose commit outcome was unknown', async () => {
    const store = new EventStore(clientExecutor(await connect()));
    const stream = `task:${randomUUID()}`;
    const [stored] = await store.append([event(stream)]);
    const found = await store.findByIds([stored!.id, randomUUID()]);
    expect(found).toEqual([stored]);
  });

  it('creates an empty stream with an epoch on ensureHead, idempotently', async () => {
    const store = new EventStore(clientExecutor(await connect()));
    const stream = `task:${randomUUID()}`;
    const first = await store.ensureHead(stream);
    const again = await store.ensureHead(stream);
    expect(first).toMatchObject({ name: stream, lastSeq: 0, firstSeq: 1 });
    expect(again.epoch).toBe(first.epoch);
    const [appended] = await store.append([event(stream)]);
    expect(appended).toMatchObject({ seq: 1, epoch: first.epoch });
  });

  it('peeks at a head without creating the stream: an absent stream is empty with NO_EPOCH', async () => {
    const store = new EventStore(clientExecutor(await connect()));
    const [absent, present] = [`user:${randomUUID()}`, `user:${randomUUID()}`];
    const [stored] = await store.append([event(present)]);
    const [none, some] = await Promise.all([store.peekHead(absent), store.peekHead(present)]);
    expect(none).toEqual({ name: absent, lastSeq: 0, firstSeq: 1, epoch: NO_EPOCH });
    expect(some).toEqual({ name: present, lastSeq: 1, firstSeq: 1, epoch: stored!.epoch });
    expect(await store.heads([absent])).toEqual([]);
    // The placeholder epoch is comparable in SQL: once the stream exists, a head check reports it.
    await store.append([event(absent)]);
    const [created] = await store.changedHeads([{ name: absent, lastSeq: 0, epoch: NO_EPOCH }]);
    expect(created).toMatchObject({ name: absent, lastSeq: 1 });
    expect(created!.epoch).not.toBe(NO_EPOCH);
  });

  it('reads the current heads asked for in one turn with one statement, a stream without a row as undefined', async () => {
    const sql = clientExecutor(await connect());
    let statements = 0;
    const store = new EventStore({ query: (text, params) => (statements++, sql.query(text, params)) });
    const [absent, present] = [`task:${randomUUID()}`, `task:${randomUUID()}`];
    const [stored] = await store.append([event(present), event(present)]);
    statements = 0;
    const [none, some, again] = await Promise.all([store.currentHead(absent), store.currentHead(present), store.currentHead(present)]);
    expect(statements).toBe(1);
    expect(none).toBeUndefined();
    expect(some).toEqual({ name: present, lastSeq: 2, firstSeq: 1, epoch: stored!.epoch });
    expect(again).toEqual(some);
    // Asked after a write, answered after it.
    await store.append([event(present)]);
    expect((await store.currentHead(present))?.lastSeq).toBe(3);
  });

  it('answers a head check only for the streams that moved past what the caller knows', async () => {
    const store = new EventStore(clientExecutor(await connect()));
    const [quiet, moved, reset] = [`task:${randomUUID()}`, `task:${randomUUID()}`, `task:${randomUUID()}`];
    await store.append([event(quiet), event(moved), event(moved), event(reset)]);
    const [q, m, r] = await store.heads([quiet, moved, reset]).then((heads) => [quiet, moved, reset].map((name) => heads.find((h) => h.name === name)!));
    const changed = await store.changedHeads([
      { name: quiet, lastSeq: q!.lastSeq, epoch: q!.epoch },
      { name: moved, lastSeq: 1, epoch: m!.epoch },
      { name: reset, lastSeq: r!.lastSeq, epoch: randomUUID() },
      { name: `task:${randomUUID()}`, lastSeq: 0, epoch: randomUUID() },
    ]);
    expect(changed.map((h) => [h.name, h.lastSeq]).sort()).toEqual([[moved, 2], [reset, 1]].sort());
    expect(await store.changedHeads([])).toEqual([]);
  });
});
