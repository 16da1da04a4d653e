import { randomUUID } from 'node:crypto';
import { ErrorCode, type EventEnvelope } from '@taskdash/contract';
import { Client } from 'pg';
import { expectEventually } from '../../../../test/eventually';
import { clientExecutor, createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import { EventPublisher } from './event-publisher.service';
import { EventStore } from './event-store';
import { PublishException } from './publish.exception';
import type { SqlExecutor } from './sql-executor';

/** A real PostgreSQL executor with switches to make it fail before or after the statement. */
class FaultyExecutor implements SqlExecutor {
  appends = 0;
  failBefore = false;
  /** Appends that hold this stream fail before the statement while set. */
  failStream: string | undefined;
  /** Appends that hold this stream wait here before the statement. */
  hold: { stream: string; until: Promise<void> } | undefined;
  /** The streams of each append, in the order the statements were sent. */
  readonly batches: string[][] = [];
  /** Runs the statement (it commits) and then reports a failure: an unknown commit outcome. */
  failAfterOnce = false;
  /** Every append commits and then reports a failure, and every lookup fails, while set. */
  failAfterAlways = false;

  constructor(private readonly client: Client) {}

  async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    const streams = sql === EventStore.APPEND_SQL ? (JSON.parse(params[0] as string) as Array<[string]>).map(([stream]) => stream) : [];
    if (sql === EventStore.APPEND_SQL) this.appends++;
    if (this.failBefore) throw new Error('connection refused');
    if (this.failAfterAlways && sql !== EventStore.APPEND_SQL) throw new Error('connection reset');
    if (this.failStream && streams.includes(this.failStream)) throw new Error('connection refused');
    if (this.hold && streams.includes(this.hold.stream)) await this.hold.until;
    if (streams.length > 0) this.batches.push(streams);
    const rows = (await this.client.query(sql, params)).rows as T[];
    if (this.failAfterAlways && sql === EventStore.APPEND_SQL) throw new Error('connection reset during commit');
    if (this.failAfterOnce && sql === EventStore.APPEND_SQL) {
      this.failAfterOnce = false;
      throw new Error('connection reset during commit');
    }
    return rows;
  }
}

const options = { batchWindowMs: 2, maxBatchSize: 1000, maxInFlight: 4, maxPending: 500, enqueueTimeoutMs: 200, storeTimeoutMs: 300 };

describe('EventPublisher (the one publish path)', () => {
  let db: TestDatabase;
  let client: Client;
  let sql: FaultyExecutor;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  beforeEach(() => {
    sql = new FaultyExecutor(client);
    store = new EventStore(sql);
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const input = (taskId: string) => ({
    stream: `task:${taskId}`,
    type: 'task.status_changed' as const,
    payload: { taskId, from: 'todo' as const, to: 'done' as const },
  });

  it('group-commits concurrent publishes: one INSERT per batch, contiguous seqs, emitted only after storing', async () => {
    const publisher = new EventPublisher(store, options);
    const emitted: EventEnvelope[] = [];
    publisher.committed.subscribe((events) => emitted.push(...events));
    const taskId = randomUUID();
    const results = await Promise.all(Array.from({ length: 400 }, () => publisher.publish(input(taskId))));
    expect(sql.appends).toBeLessThanOrEqual(3);
    expect(results.map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(emitted.map((e) => e.seq)).toEqual(results.map((e) => e.seq));
    const stored = await store.read(`task:${taskId}`, 0, 1000, 1000);
    expect(stored.map((e) => e.id)).toEqual(results.map((e) => e.id));
  });

  it("stores another stream's batch while one stream's batch is held, and never puts a stream in two batches at once", async () => {
    const publisher = new EventPublisher(store, options);
    const slow = randomUUID();
    const fast = randomUUID();
    let release!: () => void;
    sql.hold = { stream: `task:${slow}`, until: new Promise<void>((resolve) => (release = resolve)) };
    const held = publisher.publish(input(slow));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const later = publisher.publish(input(slow));
    // The other stream's event is stored although the first INSERT has not returned.
    const quick = await publisher.publish(input(fast));
    expect(quick.seq).toBe(1);
    release();
    const [first, second] = await Promise.all([held, later]);
    expect([first.seq, second.seq]).toEqual([1, 2]);
    expect(sql.batches.filter((b) => b.includes(`task:${slow}`))).toEqual([[`task:${slow}`], [`task:${slow}`]]);
  });

  it("keeps a stream's publish order when its batch fails and is retried while other streams commit", async () => {
    const publisher = new EventPublisher(store, { ...options, storeTimeoutMs: 5000 });
    const failing = randomUUID();
    const healthy = randomUUID();
    sql.failStream = `task:${failing}`;
    const a1 = publisher.publish(input(failing));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const a2 = publisher.publish(input(failing));
    const b = await Promise.all(Array.from({ length: 5 }, () => publisher.publish(input(healthy))));
    expect(b.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    sql.failStream = undefined;
    const [first, second] = await Promise.all([a1, a2]);
    expect([first.seq, second.seq]).toEqual([1, 2]);
    const stored = await store.read(`task:${failing}`, 0, 10, 10);
    expect(stored.map((e) => e.id)).toEqual([first.id, second.id]);
  });

  it('refuses an event that breaks the contract before anything is stored', async () => {
    const publisher = new EventPublisher(store, options);
    const taskId = randomUUID();
    await expect(publisher.publish({ ...input(taskId), payload: { taskId, from: 'todo', to: 'exploded' } } as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidMessage,
    });
    await expect(publisher.publish({ ...input(taskId), stream: 'task:nope' })).rejects.toBeInstanceOf(PublishException);
    expect(sql.appends).toBe(0);
  });

  it('settles a batch whose commit outcome was unknown without storing it twice', async () => {
    const publisher = new EventPublisher(store, options);
    const emitted: EventEnvelope[] = [];
    publisher.committed.subscribe((events) => emitted.push(...events));
    sql.failAfterOnce = true;
    const taskId = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => publisher.publish(input(taskId))));
    expect(results.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const stored = await store.read(`task:${taskId}`, 0, 100, 100);
    expect(stored).toHaveLength(10);
    expect(emitted).toHaveLength(10);
  });

  it('when the database is down: callers get a refusal after a bounded wait, the queue stays bounded, nothing acknowledged is lost', async () => {
    const publisher = new EventPublisher(store, options);
    const taskId = randomUUID();
    const acknowledged = await publisher.publish(input(taskId));
    sql.failBefore = true;
    const started = Date.now();
    const attempts = Array.from({ length: 800 }, () => publisher.publish(input(taskId)).then(() => 'stored', (e: PublishException) => e.code));
    expect(publisher.backlog).toBeLessThanOrEqual(options.maxPending);
    const outcomes = await Promise.all(attempts);
    // Never queued (backpressure): `unavailable`. Tried and failed: the commit's fate is
    // unknown to the publisher, so `outcome_unknown`, never "not stored".
    expect(outcomes).toContain(ErrorCode.OutcomeUnknown);
    expect(outcomes.filter((o) => o !== ErrorCode.Unavailable && o !== ErrorCode.OutcomeUnknown)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
    sql.failBefore = false;
    const after = await publisher.publish(input(taskId));
    const stored = await store.read(`task:${taskId}`, 0, 10_000, 10_000);
    expect(stored.map((e) => e.id)).toEqual([acknowledged.id, after.id]);
  });

  it('a write that committed but was never confirmed answers outcome_unknown, and the event is still delivered once the database answers', async () => {
    const publisher = new EventPublisher(store, options);
    const delivered: EventEnvelope[] = [];
    publisher.committed.subscribe((events) => delivered.push(...events));
    const taskId = randomUUID();
    sql.failAfterAlways = true;
    const outcome = await publisher.publish(input(taskId)).then(
      () => 'stored',
      (e: PublishException) => e.code,
    );
    expect(outcome).toBe(ErrorCode.OutcomeUnknown);
    const [stored] = await new EventStore(clientExecutor(client)).read(`task:${taskId}`, 0, 10, 10);
    expect(stored).toBeDefined();
    expect(delivered).toHaveLength(0);
    sql.failAfterAlways = false;
    await expectEventually(() => expect(delivered.map((e) => e.id)).toEqual([stored!.id]), 5000);
    // Retrying with the same id is safe: it resolves to the stored event, not a second one.
    const retried = await publisher.publish({ ...input(taskId), id: stored!.id });
    expect(retried).toMatchObject({ id: stored!.id, seq: stored!.seq });
    expect(await store.read(`task:${taskId}`, 0, 10, 10)).toHaveLength(1);
  });

  it('drain stores everything accepted and refuses new events', async () => {
    const publisher = new EventPublisher(store, options);
    const taskId = randomUUID();
    const pending = Array.from({ length: 50 }, () => publisher.publish(input(taskId)));
    await publisher.drain();
    await expect(Promise.all(pending)).resolves.toHaveLength(50);
    await expect(publisher.publish(input(taskId))).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });
});
