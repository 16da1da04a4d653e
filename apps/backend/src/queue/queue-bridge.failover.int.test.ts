import { randomUUID } from 'node:crypto';
import { queueStream, taskStream } from '@taskdash/contract';
import { EventCollector, subscribe } from '../../../../test/event-collector';
import { expectEventually } from '../../../../test/eventually';
import { connected, startTestApp, type TestApp } from '../../../../test/test-app';
import { createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import { QueueBridge } from './bridge/queue-bridge.service';
import { ExecutionsQueue } from './executions-queue.service';
import { SIMULATED_JOB } from './handlers/simulated-job.handler';
import { cleanVerdicts, createTasks, dropRedisPrefix, startTestWorker, storedEvents, verdicts } from './testing/job-events.fixture';

const LOCK_TTL_MS = 1500;
const QUEUE = queueStream('executions');

// Two backends on one database and one Redis prefix, as two nodes of one deployment. The
// jobs run on a worker of their own (QUEUE_WORKER=off on the nodes), so that losing a
// node loses only its bridge, which is what these tests are about.
describe('queue bridge across two nodes', () => {
  let database: TestDatabase;
  let prefix: string;
  let nodes: TestApp[] = [];
  let worker: { close(): Promise<void> };

  const env = () => ({
    REDIS_KEY_PREFIX: prefix,
    QUEUE_WORKER: 'off',
    QUEUE_BRIDGE_LOCK_TTL_MS: String(LOCK_TTL_MS),
    QUEUE_OVERVIEW_INTERVAL_MS: '0',
  });
  const leaders = () => nodes.filter((node) => node.app.get(QueueBridge).isLeader);

  beforeEach(async () => {
    database = await createTestDatabase();
    prefix = `t-${randomUUID().slice(0, 8)}`;
    nodes = [
      await startTestApp({ redis: true, database, env: env() }),
      await startTestApp({ redis: true, database, env: env() }),
    ];
    worker = startTestWorker(prefix, 10);
    await expectEventually(() => expect(leaders()).toHaveLength(1));
  });
  afterEach(async () => {
    await worker.close();
    await Promise.all(nodes.map((node) => node.close()));
    await database.drop();
    await dropRedisPrefix(prefix);
  });

  /** Starts 20 jobs of two tasks; resolves once the leader has published a few completions. */
  async function runJobsUntilHalfway(): Promise<{ ids: string[]; streams: string[]; observer: EventCollector; survivor: TestApp; holder: TestApp }> {
    const [holder] = leaders();
    const survivor = nodes.find((node) => node !== holder)!;
    const tasks = await createTasks(survivor, 'carol', 2);
    const streams = [QUEUE, ...tasks.map((task) => taskStream(task.id))];
    const socket = survivor.connect(survivor.token('carol', 'admin'));
    await connected(socket);
    const observer = new EventCollector(socket);
    await subscribe(socket, streams.map((stream) => ({ stream })));
    const queue = survivor.app.get(ExecutionsQueue);
    const jobs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => queue.add(SIMULATED_JOB, { taskId: tasks[i % 2]!.id, steps: 100, stepMs: 3 + (i % 5) })),
    );
    await expectEventually(async () => {
      const completed = (await storedEvents(database.url, QUEUE)).filter((e) => e.type === 'job.completed');
      expect(completed.length).toBeGreaterThanOrEqual(3);
    }, 20_000);
    return { ids: jobs.map((job) => job.id!), streams, observer, survivor, holder: holder! };
  }

  async function expectEveryStateOnceInOrder(ids: string[], streams: string[], observer: EventCollector): Promise<void> {
    await expectEventually(async () => {
      const completed = (await storedEvents(database.url, QUEUE)).filter((e) => e.type === 'job.completed');
      expect(completed).toHaveLength(20);
    }, 30_000);
    const queueEvents = await storedEvents(database.url, QUEUE);
    expect(verdicts(queueEvents, ids)).toEqual(cleanVerdicts(ids));
    const taskEvents = (await Promise.all(streams.slice(1).map((stream) => storedEvents(database.url, stream)))).flat();
    expect(verdicts(taskEvents, ids)).toEqual(cleanVerdicts(ids));
    // What a live client saw, duplicates of an event id dropped as the client does by seq.
    await expectEventually(() => expect(observer.all.filter((e) => e.stream === QUEUE && e.type === 'job.completed')).toHaveLength(20));
    const seen = [...new Map(observer.all.map((e) => [e.id, e])).values()];
    expect(verdicts(seen.filter((e) => e.stream === QUEUE), ids)).toEqual(cleanVerdicts(ids));
  }

  it('lets only one node bridge; when it closes mid-run the other takes over at once, losing and repeating nothing', async () => {
    const { ids, streams, observer, survivor, holder } = await runJobsUntilHalfway();
    const closedAt = Date.now();
    await holder.close();
    nodes = nodes.filter((node) => node !== holder);
    await expectEventually(() => expect(survivor.app.get(QueueBridge).isLeader).toBe(true), LOCK_TTL_MS);
    expect(Date.now() - closedAt).toBeLessThan(LOCK_TTL_MS); // released, not expired
    await expectEveryStateOnceInOrder(ids, streams, observer);
  });

  it('replaces a node that dies between publishing a batch and saving its position, publishing that batch no second time', async () => {
    const { ids, streams, observer, survivor, holder } = await runJobsUntilHalfway();
    // The holder dies right after its next batch is stored: no renewals, no reads, no
    // commit, no release. Its database connection lives on, as a crashed process's
    // last INSERT may.
    const state = holder.app.get(QueueBridge)['state'];
    let diedAt = 0;
    jest.spyOn(state, 'commit').mockImplementation(() => {
      diedAt ||= Date.now();
      holder.runtime.redis!.client.disconnect();
      return Promise.reject(new Error('the process died'));
    });
    await expectEventually(() => expect(diedAt).toBeGreaterThan(0));
    await expectEventually(() => expect(survivor.app.get(QueueBridge).isLeader).toBe(true), 3 * LOCK_TTL_MS);
    expect(Date.now() - diedAt).toBeLessThan(2 * LOCK_TTL_MS);
    expect(holder.app.get(QueueBridge).isLeader).toBe(false);
    // (Nest's logger is process-wide: the last app started collects both nodes' lines.)
    const resumed = () => survivor.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'finished a batch left in flight');
    await expectEventually(() => expect(resumed()).toEqual([expect.objectContaining({ published: 0 })]));
    await expectEveryStateOnceInOrder(ids, streams, observer);
  });
});
