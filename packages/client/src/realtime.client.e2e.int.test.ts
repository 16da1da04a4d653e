import { taskStream, type EventEnvelope, type TaskView } from '@taskdash/contract';
import { EventPublisher } from '../../../apps/backend/src/events/event-publisher.service';
import { RetentionService } from '../../../apps/backend/src/events/retention.service';
import { prismaExecutor } from '../../../apps/backend/src/events/sql-executor';
import { range } from '../../../test/event-collector';
import { startTestApp, type TestApp, type TestAppOptions } from '../../../test/test-app';
import { MemoryPositionStore, RealtimeClient, type RealtimeClientOptions } from './index';
import { ClientRecorder } from './testing/client.recorder';
import { TcpProxy } from './testing/tcp.proxy';
import { waitFor } from './testing/wait-for.util';

// The client package against the real backend (PostgreSQL, replay, token lifecycle), through
// its public API only. A TCP proxy in front of the backend loses the network on purpose.

/** One backend, the clients and proxies a test made, all closed after each file. */
function backend(options: TestAppOptions = {}) {
  const made: { clients: RealtimeClient[]; proxies: TcpProxy[] } = { clients: [], proxies: [] };
  const ctx = {} as { t: TestApp; publisher: EventPublisher };
  beforeAll(async () => {
    ctx.t = await startTestApp(options);
    ctx.publisher = ctx.t.app.get(EventPublisher);
  });
  afterEach(async () => {
    made.clients.splice(0).forEach((client) => client.close());
    await Promise.all(made.proxies.splice(0).map((proxy) => proxy.stop()));
  });
  afterAll(() => ctx.t.close());

  return {
    get t() {
      return ctx.t;
    },
    /** A task of `owner`, created through the API so that permissions are real; its stream is at seq 1. */
    async newTask(owner: string): Promise<{ taskId: string; stream: string }> {
      const created = await ctx.t.http('POST', '/tasks', owner, { title: 'e2e', members: [] });
      if (created.status !== 201)
        throw new Error(`POST /tasks: ${created.status} ${JSON.stringify(created.body)}`);
      const { id } = created.body as { id: string };
      return { taskId: id, stream: taskStream(id) };
    },
    async publish(taskId: string, count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        await ctx.publisher.publish({
          stream: taskStream(taskId),
          type: 'task.updated',
          payload: { taskId, changes: { title: `t${i}` } },
        });
      }
    },
    async proxy(): Promise<TcpProxy> {
      const proxy = await TcpProxy.start(ctx.t.url);
      made.proxies.push(proxy);
      return proxy;
    },
    /** A connected client with fast reconnection, recorded from the start. */
    async client(options: Partial<RealtimeClientOptions> & Pick<RealtimeClientOptions, 'token'>) {
      const client = new RealtimeClient({
        url: ctx.t.url,
        reconnection: { delayMs: 50, delayMaxMs: 200 },
        ...options,
      });
      made.clients.push(client);
      const recorder = new ClientRecorder(client);
      client.connect();
      await waitFor(() => client.state === 'connected', 'connected', 10_000);
      return { client, recorder };
    },
  };
}

/** What an application listener of one stream saw. */
function listen(client: RealtimeClient, stream: string): EventEnvelope[] {
  const seen: EventEnvelope[] = [];
  client.onStream(stream, (event) => seen.push(event));
  return seen;
}

const seqsOf = (events: EventEnvelope[]) => events.map((e) => e.seq);

describe('RealtimeClient end to end: resuming after a lost connection', () => {
  const b = backend({ websocket: { replay: { maxEvents: 500, pageSize: 20 } } });

  it('publish 100, lose the network, publish 50, reconnect: the listener gets exactly seq 101..150 in order, then live events, no duplicate', async () => {
    const { taskId, stream } = await b.newTask('ann');
    const proxy = await b.proxy();
    const { client, recorder } = await b.client({ url: proxy.url, token: () => b.t.token('ann') });
    const seen = listen(client, stream);
    await client.subscribe(stream);
    await b.publish(taskId, 99); // with task.created, 100 events
    await waitFor(() => seen.length === 99, 'seq 2..100', 10_000);
    expect(seqsOf(seen)).toEqual(range(2, 100));

    proxy.cut();
    await waitFor(() => client.state === 'reconnecting', 'reconnecting', 10_000);
    await b.publish(taskId, 50);
    const before = seen.length;
    expect(before).toBe(99); // nothing arrives while the network is down
    proxy.restore();
    await waitFor(() => client.state === 'resumed', 'resumed', 10_000);
    await b.publish(taskId, 5);
    await waitFor(() => seen.length === before + 55, 'seq 101..155', 10_000);

    expect(seqsOf(seen.slice(before))).toEqual(range(101, 155));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    expect(recorder.reloads).toEqual([]);
    expect(recorder.states).toEqual(['connecting', 'connected', 'reconnecting', 'resumed']);
    expect(client.position(stream)).toEqual({ seq: 155, epoch: seen[0]!.epoch });
  });

  it("subscribing from an HTTP snapshot's position replays exactly the changes made after the read", async () => {
    const { taskId, stream } = await b.newTask('ari');
    await b.t.http('PUT', `/tasks/${taskId}/status`, 'ari', { status: 'in_progress' }); // seq 2
    const read = await b.t.http('GET', `/tasks/${taskId}`, 'ari');
    const view = read.body as TaskView;
    expect(view.status).toBe('in_progress');
    expect(view.position).toEqual({ seq: 2, epoch: expect.any(String) });
    // Changed between the read and the subscribe: without the position these would be lost.
    await b.t.http('PUT', `/tasks/${taskId}/status`, 'ari', { status: 'blocked' });
    await b.t.http('PUT', `/tasks/${taskId}/status`, 'ari', { status: 'done' });
    const { client, recorder } = await b.client({ token: () => b.t.token('ari') });
    const seen = listen(client, stream);
    const [result] = await client.subscribe(stream, { from: { [stream]: view.position } });
    expect(result).toMatchObject({ ok: true, recovered: true, replayed: 2 });
    await waitFor(() => seen.length === 2, 'seq 3..4');
    expect(seen.map((e) => [e.seq, e.payload])).toEqual([
      [3, { taskId, from: 'in_progress', to: 'blocked' }],
      [4, { taskId, from: 'blocked', to: 'done' }],
    ]);
    // The list reads the same snapshot: the row and the position agree.
    const listed = (await b.t.http('GET', '/tasks', 'ari')).body as TaskView[];
    expect(listed.find((task) => task.id === taskId)).toMatchObject({
      status: 'done',
      position: { seq: 4, epoch: view.position!.epoch },
    });
    expect(recorder.reloads).toEqual([]);
  });

  it('a restarted client sharing the position store resumes where the old one stopped', async () => {
    const { taskId, stream } = await b.newTask('ben');
    const positionStore = new MemoryPositionStore();
    const first = await b.client({ token: () => b.t.token('ben'), positionStore });
    const seenFirst = listen(first.client, stream);
    await first.client.subscribe(stream);
    await b.publish(taskId, 99);
    await waitFor(() => seenFirst.length === 99, 'seq 2..100', 10_000);
    first.client.close();

    await b.publish(taskId, 50);
    const second = await b.client({ token: () => b.t.token('ben'), positionStore });
    const seen = listen(second.client, stream);
    const [result] = await second.client.subscribe(stream);
    expect(result).toMatchObject({ ok: true, recovered: true, replayed: 50, position: { seq: 150 } });
    await b.publish(taskId, 5);
    await waitFor(() => seen.length === 55, 'seq 101..155', 10_000);
    expect(seqsOf(seen)).toEqual(range(101, 155));
    expect(seqsOf(seenFirst)).toEqual(range(2, 100));
    expect(second.recorder.reloads).toEqual([]);
  });
});

describe('RealtimeClient end to end: token refresh', () => {
  // Three-second tokens, one second of grace: five refresh cycles take a few seconds.
  const b = backend({ env: { TOKEN_EXPIRY_GRACE_SEC: '1', JWT_CLOCK_TOLERANCE_SEC: '0' } });

  it('five refresh cycles with 3-second tokens through the token provider: zero reconnects, no missed event', async () => {
    const { taskId, stream } = await b.newTask('rita');
    let provided = 0;
    const { client, recorder } = await b.client({
      token: () => {
        provided++;
        return b.t.token('rita', 'user', 3);
      },
    });
    const seen = listen(client, stream);
    await client.subscribe(stream);
    let published = 1; // task.created
    const deadline = Date.now() + 30_000;
    while (recorder.refreshes.length < 5) {
      if (Date.now() > deadline) throw new Error(`only ${recorder.refreshes.length} refreshes within 30 s`);
      await b.publish(taskId, 1);
      published++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await b.publish(taskId, 1);
    published++;
    await waitFor(() => seen.length === published - 1, `seq 2..${published}`, 10_000);

    expect(seqsOf(seen)).toEqual(range(2, published));
    expect(recorder.states).toEqual(['connecting', 'connected']);
    expect(recorder.errors).toEqual([]);
    expect(recorder.reloads).toEqual([]);
    expect(recorder.expiries.length).toBeGreaterThanOrEqual(5);
    expect(recorder.expiries.every((e) => e.refreshable)).toBe(true);
    expect(recorder.refreshes.map((r) => r.attempts)).toEqual(recorder.refreshes.map(() => 1));
    const expiries = recorder.refreshes.map((r) => r.expiresAt);
    expect(expiries).toEqual([...expiries].sort((x, y) => x - y));
    expect(provided).toBe(1 + recorder.refreshes.length); // the handshake, then one per refresh
  });

  it('with a fixed 2-second token: token_expiring says it cannot be refreshed, then the client fails with token_expired', async () => {
    const { client, recorder } = await b.client({ token: b.t.token('sam', 'user', 2) });
    await waitFor(() => client.state === 'failed', 'failed', 10_000);
    expect(recorder.expiries).toEqual([
      { expiresAt: expect.any(Number), disconnectAt: expect.any(Number), refreshable: false },
    ]);
    expect(recorder.changes.at(-1)).toMatchObject({ state: 'failed', error: { code: 'token_expired' } });
    expect(recorder.refreshes).toEqual([]);
  });

  it("a provider handing out another user's token: the refresh is refused and the connection closed for good", async () => {
    let calls = 0;
    const { client, recorder } = await b.client({
      token: () => b.t.token(++calls === 1 ? 'tom' : 'mallory', 'user', 3),
    });
    await waitFor(() => client.state === 'failed', 'failed', 10_000);
    expect(recorder.changes.at(-1)).toMatchObject({ state: 'failed', error: { code: 'token_invalid' } });
    expect(recorder.refreshes).toEqual([]);
  });
});

describe('RealtimeClient end to end: positions the server cannot resume', () => {
  const b = backend({ websocket: { replay: { maxEvents: 10, pageSize: 5 } } });

  /** Subscribes through a proxy, publishes `missed` events while the network is down, reconnects. */
  async function missWhileAway(owner: string, missed: number, whileAway?: () => Promise<void>) {
    const { taskId, stream } = await b.newTask(owner);
    const proxy = await b.proxy();
    const { client, recorder } = await b.client({ url: proxy.url, token: () => b.t.token(owner) });
    const seen = listen(client, stream);
    await client.subscribe(stream);
    await b.publish(taskId, 2);
    await waitFor(() => seen.length === 2, 'seq 2..3');
    proxy.cut();
    await waitFor(() => client.state === 'reconnecting', 'reconnecting', 10_000);
    await b.publish(taskId, missed);
    await whileAway?.();
    proxy.restore();
    await waitFor(() => client.state === 'resumed', 'resumed', 10_000);
    return { taskId, stream, client, recorder, seen };
  }

  it('more missed events than the replay cap: a too_many_missed reload, none of them, then live events', async () => {
    const { taskId, stream, recorder, seen, client } = await missWhileAway('cat', 11);
    const head = 3 + 11;
    await waitFor(() => recorder.reloads.length === 1, 'reload');
    expect(recorder.reloads).toEqual([
      { stream, reason: 'too_many_missed', position: { seq: head, epoch: seen[0]!.epoch } },
    ]);
    await b.publish(taskId, 2);
    await waitFor(() => seen.length === 4, 'live after the reload');
    expect(seqsOf(seen)).toEqual([2, 3, head + 1, head + 2]);
    expect(client.position(stream)?.seq).toBe(head + 2);
    expect(recorder.reloads).toHaveLength(1);
  });

  it('within the cap: replayed exactly, over several pages, without a reload', async () => {
    const { taskId, recorder, seen } = await missWhileAway('dan', 9);
    await b.publish(taskId, 1);
    await waitFor(() => seen.length === 12, 'seq 2..13');
    expect(seqsOf(seen)).toEqual(range(2, 13));
    expect(recorder.reloads).toEqual([]);
  });

  it('a position older than the retained history: a history_expired reload', async () => {
    const sql = () => prismaExecutor(b.t.runtime.database.prisma);
    const { stream, recorder, seen } = await missWhileAway('eve', 8, async () => {
      // Keep the last 3 events of every stream: this one keeps 9..11, so position 3 is too old.
      await new RetentionService(sql(), { maxAgeMs: 3_600_000, maxPerStream: 3, intervalMs: 0 }).purge();
    });
    await waitFor(() => recorder.reloads.length === 1, 'reload');
    expect(recorder.reloads).toEqual([
      { stream, reason: 'history_expired', position: { seq: 11, epoch: seen[0]!.epoch } },
    ]);
    expect(seqsOf(seen)).toEqual([2, 3]);
  });
});
