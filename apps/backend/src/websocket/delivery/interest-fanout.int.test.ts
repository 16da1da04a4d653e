import { taskStream } from '@taskdash/contract';
import { Client } from 'pg';
import { delay, expectEventually } from '../../../../../test/eventually';
import { EventCollector, range, subscribe } from '../../../../../test/event-collector';
import { connected, startTestApp, type TestApp } from '../../../../../test/test-app';
import { TEST_REDIS_TARGETS } from '../../../../../test/test-env';
import { EventPublisher } from '../../events/event-publisher.service';
import { EventFanout } from './event-fanout.service';
import { StreamDispatcher } from './stream-dispatcher.service';

/**
 * Two nodes in this process, on one database and one Redis (standalone, and the run's
 * three-primary Redis Cluster), EVENT_FANOUT=interest: node B receives a stream's events
 * from node A only while one of B's sockets follows it. Checked against the `events` table
 * and against what B's fan-out counted as received, not through a client library.
 */
describe.each(TEST_REDIS_TARGETS)('interest-based fan-out between nodes (Redis %s)', (redis) => {
  let a: TestApp;
  let b: TestApp;
  let db: Client;

  beforeAll(async () => {
    a = await startTestApp({ redis });
    b = await startTestApp({
      redis,
      database: a.database,
      env: { REDIS_KEY_PREFIX: a.runtime.config.redisKeyPrefix },
      // Streams are forgotten as soon as their room empties, so unsubscribing can be seen.
      websocket: { streamLingerMs: 0 },
    });
    db = new Client({ connectionString: a.database.url });
    await db.connect();
    await expectEventually(() => expect(a.app.get(EventFanout).sendsToPeers).toBe(true));
  });
  afterAll(async () => {
    await db.end();
    await b.close();
    await a.close();
  });

  const publish = (stream: string, n: number) =>
    a.app.get(EventPublisher).publishMany(
      Array.from({ length: n }, (_, i) => ({
        stream,
        type: 'task.updated' as const,
        payload: { taskId: stream.slice(5), changes: { title: `${i}` } },
      })),
    );
  /** A task of `owner`'s (its stream starts with `task.created`). */
  const newTask = async (owner: string) =>
    taskStream(((await a.http('POST', '/tasks', owner, { title: 'fan-out' })).body as { id: string }).id);
  const stored = async (stream: string) =>
    (
      await db.query<{ seq: string; id: string }>(
        'SELECT seq, id::text AS id FROM events WHERE stream = $1 ORDER BY seq',
        [stream],
      )
    ).rows.map((row) => ({ seq: Number(row.seq), id: row.id }));

  it("sends node B only the streams B's sockets follow, in order, exactly as stored", async () => {
    const [followed, elsewhere] = [await newTask('watcher'), await newTask('watcher')];
    const socket = b.connect(b.token('watcher'));
    const got = new EventCollector(socket);
    await connected(socket);
    const answer = await subscribe(socket, [{ stream: followed }]);
    expect(answer.ok && answer.results[0]?.ok).toBe(true);
    const fanout = b.app.get(EventFanout);
    const before = fanout.receivedFromPeers;
    for (let i = 0; i < 5; i++) await Promise.all([publish(followed, 20), publish(elsewhere, 20)]);
    const want = (await stored(followed)).filter((e) => e.seq > 1);
    expect(want.map((e) => e.seq)).toEqual(range(2, 101));
    await expectEventually(() =>
      expect(got.all.filter((e) => e.stream === followed).map((e) => ({ seq: e.seq, id: e.id }))).toEqual(
        want,
      ),
    );
    // What B received from A is what its socket wanted: none of the 100 events of the other stream.
    expect(fanout.receivedFromPeers - before).toBe(100);
  });

  it('a socket that subscribes mid-flight gets a contiguous run up to the last stored event, nothing twice', async () => {
    const stream = await newTask('late');
    await publish(stream, 10);
    let publishing = true;
    const producer = (async () => {
      while (publishing) await publish(stream, 5);
    })();
    const socket = b.connect(b.token('late'));
    const got = new EventCollector(socket);
    await connected(socket);
    const answer = await subscribe(socket, [{ stream }]);
    const from = answer.ok && answer.results[0]?.ok ? answer.results[0].position.seq : -1;
    expect(from).toBeGreaterThanOrEqual(10);
    await expectEventually(() => expect(got.seqs(stream).length).toBeGreaterThan(20));
    publishing = false;
    await producer;
    const want = (await stored(stream)).filter((e) => e.seq > from);
    await expectEventually(() =>
      expect(got.all.filter((e) => e.stream === stream).map((e) => ({ seq: e.seq, id: e.id }))).toEqual(want),
    );
  });

  it('stops receiving a stream once no socket on B follows it (no linger here)', async () => {
    const [left, kept] = [await newTask('leaver'), await newTask('stayer')];
    const leaver = b.connect(b.token('leaver'));
    const stayer = b.connect(b.token('stayer'));
    const got = new EventCollector(stayer);
    await Promise.all([connected(leaver), connected(stayer)]);
    await subscribe(leaver, [{ stream: left }]);
    await subscribe(stayer, [{ stream: kept }]);
    leaver.disconnect();
    await expectEventually(() => expect(b.app.get(StreamDispatcher).state(left)).toBeUndefined());
    await delay(500); // the SUNSUBSCRIBE reaches Redis
    const fanout = b.app.get(EventFanout);
    const before = fanout.receivedFromPeers;
    await publish(left, 10);
    await publish(kept, 1);
    await expectEventually(() => expect(got.seqs(kept)).toEqual([2]));
    await delay(300);
    expect(fanout.receivedFromPeers - before).toBe(1);
  });
});
