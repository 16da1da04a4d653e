import { queueStream, taskStream, type EventEnvelope } from '@taskdash/contract';
import { EventCollector, subscribe } from '../../../../test/event-collector';
import { expectEventually } from '../../../../test/eventually';
import { connected, startTestApp, type TestApp } from '../../../../test/test-app';
import { TEST_REDIS_TARGETS } from '../../../../test/test-env';
import { ExecutionsQueue } from './executions-queue.service';
import { QueueBridge } from './bridge/queue-bridge.service';
import { SIMULATED_JOB } from './handlers/simulated-job.handler';
import { checkProgress, createTasks, progressValues, states, timelines } from './testing/job-events.fixture';

const QUEUE = queueStream('executions');

describe.each(TEST_REDIS_TARGETS)('queue events bridge (one node, real BullMQ worker, Redis %s)', (redis) => {
  let t: TestApp;
  let queue: ExecutionsQueue;

  beforeAll(async () => {
    t = await startTestApp({
      redis,
      env: { QUEUE_WORKER_CONCURRENCY: '10', QUEUE_PROGRESS_COALESCE_MS: '100', QUEUE_OVERVIEW_INTERVAL_MS: '200' },
    });
    queue = t.app.get(ExecutionsQueue);
    await expectEventually(() => expect(t.app.get(QueueBridge).isLeader).toBe(true));
  });
  afterAll(() => t.close());

  async function client(sub: string, role: 'user' | 'operator', streams: string[]): Promise<EventCollector> {
    const socket = t.connect(t.token(sub, role));
    await connected(socket);
    const collector = new EventCollector(socket);
    const ack = await subscribe(socket, streams.map((stream) => ({ stream })));
    expect(ack).toMatchObject({ ok: true, results: streams.map(() => ({ ok: true })) });
    return collector;
  }

  it('shows every client, per job, non-decreasing progress ending at 100 and then the terminal state, in order', async () => {
    const tasks = await createTasks(t, 'alice', 4);
    const operator = await client('op-1', 'operator', [QUEUE]);
    const owner = await client('alice', 'user', tasks.map((task) => taskStream(task.id)));
    const jobs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => queue.add(SIMULATED_JOB, { taskId: tasks[i % 4]!.id, steps: 500 })),
    );
    const ids = jobs.map((job) => job.id!);

    const completedFor = (events: EventEnvelope[]) =>
      new Set(events.filter((e) => e.type === 'job.completed').map((e) => (e.payload as { jobId: string }).jobId));
    await expectEventually(() => {
      expect(completedFor(operator.all).size).toBe(20);
      expect(completedFor(owner.all).size).toBe(20);
    }, 30_000);

    for (const [who, collector] of [['operator', operator], ['owner', owner]] as const) {
      const byJob = timelines(collector.all);
      for (const [index, jobId] of ids.entries()) {
        const timeline = byJob.get(jobId) ?? [];
        expect({ who, jobId, states: states(timeline), progress: checkProgress(timeline, 100) }).toEqual({
          who,
          jobId,
          states: ['job.waiting', 'job.active', 'job.completed'],
          progress: { ok: true },
        });
        // Coalesced: a handful of values instead of 500.
        expect(progressValues(timeline).length).toBeLessThan(100);
        if (who === 'owner') expect(timeline.every((e) => e.stream === taskStream(tasks[index % 4]!.id))).toBe(true);
      }
      // Each stream's events arrive in seq order, without a gap.
      for (const stream of new Set(collector.all.map((e) => e.stream))) {
        const seqs = collector.all.filter((e) => e.stream === stream).map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      }
    }
    const progressEvents = operator.all.filter((e) => e.type === 'job.progress').length;
    // 10,000 reported values cost the dashboard a few events per job per window.
    expect(progressEvents).toBeLessThan((20 * 500) / 10);
  });

  it('reports each attempt of a failing job: active, retrying, active, failed, with the reason', async () => {
    const [task] = await createTasks(t, 'bob', 1);
    const owner = await client('bob', 'user', [taskStream(task!.id)]);
    const job = await queue.add(SIMULATED_JOB, { taskId: task!.id, steps: 3, fail: true }, { attempts: 2 });
    await expectEventually(() => expect(owner.all.map((e) => e.type)).toContain('job.failed'), 10_000);
    const timeline = timelines(owner.all).get(job.id!) ?? [];
    expect(states(timeline)).toEqual(['job.waiting', 'job.active', 'job.retrying', 'job.active', 'job.failed']);
    expect(timeline.at(-1)?.payload).toMatchObject({ jobId: job.id, taskId: task!.id, name: SIMULATED_JOB, reason: 'simulated failure' });
  });

  it('publishes a queue overview with counts, throughput and durations', async () => {
    const operator = await client('op-2', 'operator', [QUEUE]);
    await Promise.all(Array.from({ length: 5 }, () => queue.add(SIMULATED_JOB, { steps: 5, stepMs: 5 })));
    await expectEventually(() => {
      const overviews = operator.all.filter((e) => e.type === 'queue.overview').map((e) => e.payload as Record<string, unknown>);
      expect(overviews.some((o) => (o.completedPerSec as number) > 0 && o.durationMs !== undefined)).toBe(true);
      expect(overviews.at(-1)).toMatchObject({ queue: 'executions', counts: { waiting: 0, active: 0, delayed: 0, failed: 1 } });
    }, 10_000);
  });

  it('refuses job data with a malformed task id', async () => {
    await expect(queue.add(SIMULATED_JOB, { taskId: 'not-a-uuid' })).rejects.toMatchObject({ code: 'invalid_job' });
  });
});

describe('queues without Redis', () => {
  it('says once that queues are off, and refuses jobs instead of losing them', async () => {
    const t = await startTestApp();
    try {
      expect(t.logs.filter((line) => line.includes('job queues are off'))).toHaveLength(1);
      await expect(t.app.get(ExecutionsQueue).add(SIMULATED_JOB, {})).rejects.toMatchObject({ code: 'queues_off' });
    } finally {
      await t.close();
    }
  });
});
