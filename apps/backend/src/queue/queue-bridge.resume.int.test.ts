import { randomUUID } from 'node:crypto';
import { queueStream, taskStream, type EventEnvelope, type TaskSnapshot } from '@taskdash/contract';
import { Redis } from 'ioredis';
import { expectEventually } from '../../../../test/eventually';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import { QueueBridge } from './bridge/queue-bridge.service';
import { ExecutionsQueue } from './executions-queue.service';
import { SIMULATED_JOB } from './handlers/simulated-job.handler';
import { QueueEventsService } from './queue-events.service';
import { bullPrefix } from './queue.constants';
import { cleanVerdicts, createTasks, dropRedisPrefix, startTestWorker, states, storedEvents, TEST_REDIS, timelines, verdicts } from './testing/job-events.fixture';

const QUEUE = queueStream('executions');

// One node at a time on a shared database and Redis prefix: the bridge stops and starts
// (or fails) while a worker of its own keeps running jobs.
describe('queue bridge position', () => {
  let database: TestDatabase;
  let prefix: string;
  let redis: Redis;
  let queue: ExecutionsQueue;
  let worker: { close(): Promise<void> } | undefined;
  const apps: TestApp[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    prefix = `t-${randomUUID().slice(0, 8)}`;
    redis = new Redis(TEST_REDIS, { maxRetriesPerRequest: null });
    queue = new ExecutionsQueue(redis, prefix);
    worker = startTestWorker(prefix, 10);
  });
  afterEach(async () => {
    await worker?.close();
    await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
    await queue.close();
    await redis.quit();
    await database.drop();
    await dropRedisPrefix(prefix);
  });

  async function startNode(): Promise<TestApp> {
    const app = await startTestApp({
      redis: true,
      database,
      env: { REDIS_KEY_PREFIX: prefix, QUEUE_WORKER: 'off', QUEUE_OVERVIEW_INTERVAL_MS: '0' },
    });
    apps.push(app);
    await expectEventually(() => expect(app.app.get(QueueBridge).isLeader).toBe(true));
    return app;
  }
  async function stopNode(app: TestApp): Promise<void> {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  }
  const stored = (stream = QUEUE) => storedEvents(database.url, stream);
  const ofType = (events: EventEnvelope[], type: string) => events.filter((e) => e.type === type);
  const finishedInRedis = async (count: number) =>
    expectEventually(async () => expect((await queue.bull.getJobCounts('completed')).completed).toBe(count), 20_000);
  async function addJobs(tasks: TaskSnapshot[], count: number, data: Record<string, unknown>): Promise<string[]> {
    const jobs = await Promise.all(Array.from({ length: count }, (_, i) => queue.add(SIMULATED_JOB, { taskId: tasks[i % tasks.length]!.id, ...data })));
    return jobs.map((job) => job.id!);
  }

  it('publishes after a restart what the workers did while the bridge was down, each state once', async () => {
    const first = await startNode();
    const tasks = await createTasks(first, 'dave', 2);
    const ids = await addJobs(tasks, 10, { steps: 100, stepMs: 10 });
    await expectEventually(async () => expect(ofType(await stored(), 'job.active').length).toBeGreaterThanOrEqual(5), 10_000);
    await stopNode(first);
    const whileDown = (await stored()).length;
    await finishedInRedis(10);
    expect(await stored()).toHaveLength(whileDown); // nobody bridged meanwhile

    await startNode();
    await expectEventually(async () => expect(ofType(await stored(), 'job.completed')).toHaveLength(10), 10_000);
    expect(verdicts(await stored(), ids)).toEqual(cleanVerdicts(ids));
    const taskEvents = (await Promise.all(tasks.map((task) => stored(taskStream(task.id))))).flat();
    expect(verdicts(taskEvents, ids)).toEqual(cleanVerdicts(ids));
  });

  it('finishes a half-published batch after a failure, publishing only the events that are missing', async () => {
    const node = await startNode();
    const tasks = await createTasks(node, 'erin', 1);
    // The next batch stores only its first half, then the bridge fails before saving its position.
    const events = node.app.get(QueueEventsService);
    const publish = events.jobEvents.bind(events);
    let halves: number[] = [];
    jest.spyOn(events, 'jobEvents').mockImplementationOnce(async (batch, options) => {
      const half = Math.ceil(batch.length / 2);
      halves = [half, batch.length - half];
      await publish(batch.slice(0, half), options);
      throw new Error('failed halfway');
    });
    const ids = await addJobs(tasks, 5, { steps: 50, stepMs: 2 });
    await finishedInRedis(5);
    await expectEventually(async () => expect(ofType(await stored(), 'job.completed')).toHaveLength(5), 10_000);
    expect(verdicts(await stored(), ids)).toEqual(cleanVerdicts(ids));
    expect(verdicts(await stored(taskStream(tasks[0]!.id)), ids)).toEqual(cleanVerdicts(ids));
    const resumed = node.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e.msg === 'finished a batch left in flight');
    // Two streams (queue and task) per event: the missing half, once.
    expect(resumed).toEqual([expect.objectContaining({ published: 2 * halves[1]! })]);
  });

  it('publishes nothing twice when its whole history is in flight again', async () => {
    const first = await startNode();
    const tasks = await createTasks(first, 'frank', 2);
    const ids = await addJobs(tasks, 6, { steps: 40, stepMs: 2 });
    await expectEventually(async () => expect(ofType(await stored(), 'job.completed')).toHaveLength(6), 20_000);
    await stopNode(first);
    const before = await stored();
    // As if a bridge had begun one batch spanning the whole stream and died before saving.
    const state = `${prefix}:queue-bridge:{executions}:state`;
    const saved = await redis.hget(state, 'position');
    await redis.hset(state, 'position', '0-0', 'inflight', saved!);
    await redis.hdel(state, 'ordinal');

    const second = await startNode();
    await expectEventually(() => expect(second.logs.some((line) => line.includes('finished a batch left in flight'))).toBe(true));
    expect(await stored()).toEqual(before);
    expect(verdicts(before, ids)).toEqual(cleanVerdicts(ids));
  });

  it('reports the jobs to reload when the stream was trimmed past its position while it was stopped', async () => {
    const first = await startNode();
    const tasks = await createTasks(first, 'gina', 2);
    await addJobs(tasks, 3, { steps: 5 });
    await expectEventually(async () => expect(ofType(await stored(), 'job.completed')).toHaveLength(3), 10_000);
    await stopNode(first);

    const unbridged = await addJobs(tasks, 3, { steps: 5 });
    await finishedInRedis(6);
    await worker!.close();
    worker = undefined;
    const [waiting] = await addJobs([tasks[1]!], 1, { steps: 5 });
    await redis.xtrim(`${bullPrefix(prefix)}:executions:events`, 'MAXLEN', 0);

    const second = await startNode();
    await expectEventually(async () => expect(ofType(await stored(), 'job.reload_required')).toHaveLength(1), 10_000);
    const [notice] = ofType(await stored(), 'job.reload_required');
    const listed = (notice!.payload as { jobs: Array<{ jobId: string; taskId?: string }> }).jobs;
    expect(notice!.payload).toMatchObject({ queue: 'executions', reason: 'events_trimmed', truncated: false });
    expect(listed).toEqual(expect.arrayContaining([...unbridged, waiting!].map((jobId): unknown => expect.objectContaining({ jobId }))));
    expect(listed).toContainEqual({ jobId: waiting, taskId: tasks[1]!.id });
    const taskNotices = ofType(await stored(taskStream(tasks[1]!.id)), 'job.reload_required');
    expect(taskNotices).toHaveLength(1);
    expect((taskNotices[0]!.payload as { jobs: Array<{ taskId: string }> }).jobs.every((job) => job.taskId === tasks[1]!.id)).toBe(true);

    // Bridging goes on after the gap: the waiting job's later states arrive, the gap is not reported again.
    worker = startTestWorker(prefix);
    await expectEventually(async () => expect(states(timelines(await stored()).get(waiting!) ?? [])).toEqual(['job.active', 'job.completed']), 10_000);
    expect(ofType(await stored(), 'job.reload_required')).toHaveLength(1);
    expect(second.app.get(QueueBridge).isLeader).toBe(true);
  });
});
