import { taskStream } from '@taskdash/contract';
import { startBackendProcess, type BackendProcess } from '../../../../../test/backend-process';
import { delay, expectEventually } from '../../../../../test/eventually';
import { EventCollector, range, subscribe } from '../../../../../test/event-collector';
import { ResumingClient } from '../../../../../test/resuming-client';
import { connectSocket, connected, startTestApp, type TestApp } from '../../../../../test/test-app';
import { TEST_REDIS_TARGETS, redisEnv } from '../../../../../test/test-env';
import { EventPublisher } from '../../events/event-publisher.service';

/**
 * Node B is this test's in-process app; node A is a separate backend process on the same
 * database and Redis: a standalone server, and a three-primary Redis Cluster.
 */
describe.each(TEST_REDIS_TARGETS)('several nodes over Redis (%s)', (redis) => {
  let b: TestApp;
  let a: BackendProcess;
  let publisher: EventPublisher;

  beforeAll(async () => {
    b = await startTestApp({ redis });
    publisher = b.app.get(EventPublisher);
    a = await startBackendProcess({
      DATABASE_URL: b.database.url,
      REDIS_KEY_PREFIX: b.runtime.config.redisKeyPrefix,
      DRAIN_SPREAD_SEC: '1',
      ...redisEnv(redis),
    });
  });
  afterAll(async () => {
    await a?.kill();
    await b.close();
  });

  const newTask = async (owner: string) => ((await b.http('POST', '/tasks', owner, { title: 'nodes' })).body as { id: string }).id;
  const publish = (taskId: string, n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => publisher.publish({ stream: taskStream(taskId), type: 'task.updated', payload: { taskId, changes: { title: `${i}` } } })));

  it('a client on node A receives events published on node B, in order; moving to node B it resumes without loss', async () => {
    const taskId = await newTask('nina');
    const stream = taskStream(taskId);
    const onA = connectSocket(a.url, b.token('nina'));
    const gotA = new EventCollector(onA);
    await connected(onA);
    const answer = await subscribe(onA, [{ stream }]);
    const epoch = answer.ok && answer.results[0]?.ok ? answer.results[0].position.epoch : '';
    for (let i = 0; i < 5; i++) await publish(taskId, 20);
    await expectEventually(() => expect(gotA.seqs(stream)).toEqual(range(2, 101)));
    onA.disconnect();
    await publish(taskId, 30);
    const onB = b.connect(b.token('nina'));
    const gotB = new EventCollector(onB);
    await connected(onB);
    const resumed = await subscribe(onB, [{ stream, position: { seq: 101, epoch } }]);
    expect(resumed.ok && resumed.results[0]).toMatchObject({ recovered: true, replayed: 30 });
    await publish(taskId, 5);
    await expectEventually(() => expect(gotB.seqs(stream)).toEqual(range(102, 136)));
  });

  it('draining node A during steady publishing: its clients end up on node B with everything, nothing twice', async () => {
    const taskId = await newTask('dave');
    const stream = taskStream(taskId);
    let alive = [a.url, b.url];
    const clients = Array.from({ length: 20 }, () => new ResumingClient(() => alive, () => b.token('dave'), [stream]));
    clients.forEach((client) => client.start());
    await expectEventually(() => expect(clients.every((c) => c.positions.has(stream))).toBe(true));

    let publishing = true;
    let published = 1; // task.created
    const producer = (async () => {
      while (publishing) {
        await publish(taskId, 5);
        published += 5;
        await delay(10);
      }
    })();
    await delay(300);
    alive = [b.url];
    const exitCode = await a.stop();
    expect(exitCode).toBe(0);
    await delay(300);
    publishing = false;
    await producer;

    await expectEventually(() => {
      for (const client of clients) {
        const firstSeen = client.received.find((e) => e.stream === stream)?.seq ?? 1;
        expect(client.seqs(stream)).toEqual(range(firstSeen, published));
      }
    }, 15_000);
    const moved = clients.filter((c) => c.reasons.includes('server_draining'));
    expect(moved.length).toBeGreaterThan(0);
    for (const client of moved) expect(client.connects).toBe(2);
    clients.forEach((client) => client.close());
    // Node A is gone; start it again for any later test.
    a = await startBackendProcess({ DATABASE_URL: b.database.url, REDIS_KEY_PREFIX: b.runtime.config.redisKeyPrefix });
  });
});
