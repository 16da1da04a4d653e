import { queueStream, taskStream, type EventEnvelope, type TaskSnapshot } from '@taskdash/contract';
import { EventCollector, subscribe } from '../../../../../test/event-collector';
import { expectEventually } from '../../../../../test/eventually';
import { connected, startTestApp, type TestApp } from '../../../../../test/test-app';
import { ExecutionsQueue } from '../executions-queue.service';
import { SIMULATED_JOB } from '../handlers/simulated-job.handler';
import type { JobDetail, QueueSummary } from '@taskdash/contract';

const Q = '/queues/executions';
const HOUR = 3_600_000;

type Page = { state: string; offset: number; limit: number; total: number; jobs: Array<{ id: string; state: string }> };

describe('queue admin API (real BullMQ queue and worker)', () => {
  let t: TestApp;
  let queue: ExecutionsQueue;
  const op = (method: string, path: string) => t.http(method, path, 'olga', undefined, 'operator');

  beforeAll(async () => {
    t = await startTestApp({ redis: true, env: { QUEUE_PROGRESS_COALESCE_MS: '50' } });
    queue = t.app.get(ExecutionsQueue);
  });
  afterAll(() => t.close());

  async function watcher(sub: string, role: 'user' | 'operator', stream: string): Promise<EventCollector> {
    const socket = t.connect(t.token(sub, role));
    await connected(socket);
    const collector = new EventCollector(socket);
    expect(await subscribe(socket, [{ stream }])).toMatchObject({ ok: true, results: [{ ok: true }] });
    return collector;
  }
  const actions = (events: EventEnvelope[]) =>
    events.filter((e) => e.type === 'queue.action').map((e) => e.payload as { action: string; jobId?: string; by: string });
  const state = async (jobId: string) => ((await op('GET', `${Q}/jobs/${jobId}`)).body as JobDetail).state;

  it('shows a failed job with its data, logs, attempts and stack trace, and retries it for everyone to see', async () => {
    const task = (await t.http('POST', '/tasks', 'alice', { title: 'retry me' })).body as TaskSnapshot;
    const watching = await watcher('olga-watch', 'operator', queueStream('executions'));
    const owner = await watcher('alice', 'user', taskStream(task.id));
    const job = await queue.add(SIMULATED_JOB, { taskId: task.id, steps: 2, fail: true });
    await expectEventually(async () => expect(await state(job.id!)).toBe('failed'), 15_000, 50);

    const detail = (await op('GET', `${Q}/jobs/${job.id}`)).body as JobDetail;
    expect(detail).toMatchObject({
      id: job.id, queue: 'executions', name: SIMULATED_JOB, state: 'failed', taskId: task.id,
      data: { taskId: task.id, steps: 2, fail: true }, progress: 100, attemptsMade: 1, attempts: 1,
      failedReason: 'simulated failure', logs: { lines: ['attempt 1: 2 step(s), then fail'], total: 1 },
    });
    expect(detail.stacktrace).toHaveLength(1);
    expect(detail.stacktrace[0]).toContain('simulated failure');

    expect((await op('POST', `${Q}/jobs/${job.id}/retry`)).status).toBe(204);
    await expectEventually(() => {
      expect(actions(watching.all)).toContainEqual(expect.objectContaining({ action: 'retry', jobId: job.id, by: 'olga' }));
      expect(actions(owner.all)).toContainEqual(expect.objectContaining({ action: 'retry', jobId: job.id }));
    });
    // It ran again: a second attempt, a second log line and a second stack trace.
    await expectEventually(async () => {
      const again = (await op('GET', `${Q}/jobs/${job.id}`)).body as JobDetail;
      expect({ state: again.state, logs: again.logs.total, traces: again.stacktrace.length }).toEqual({ state: 'failed', logs: 2, traces: 2 });
    }, 15_000, 50);
  });

  it('refuses with 409 job_state_conflict an action the job is not in the state for', async () => {
    const done = await queue.add(SIMULATED_JOB, { steps: 1 });
    await expectEventually(async () => expect(await state(done.id!)).toBe('completed'), 15_000, 50);
    for (const action of ['retry', 'promote']) {
      const refused = await op('POST', `${Q}/jobs/${done.id}/${action}`);
      expect({ action, ...refused }).toMatchObject({ action, status: 409, body: { code: 'job_state_conflict' } });
    }
    const running = await queue.add(SIMULATED_JOB, { steps: 4, stepMs: 1000 });
    await expectEventually(async () => expect(await state(running.id!)).toBe('active'), 15_000, 20);
    expect(await op('POST', `${Q}/jobs/${running.id}/remove`)).toMatchObject({ status: 409, body: { code: 'job_state_conflict' } });
  });

  it('promotes a delayed job so that it runs, and removes another', async () => {
    const watching = await watcher('olga-watch-2', 'operator', queueStream('executions'));
    const [later, never] = await Promise.all([
      queue.add(SIMULATED_JOB, { steps: 1 }, { delay: HOUR }),
      queue.add(SIMULATED_JOB, { steps: 1 }, { delay: HOUR }),
    ]);
    const delayed = (await op('GET', `${Q}/jobs?state=delayed`)).body as Page;
    expect(delayed.jobs.map((job) => job.id)).toEqual(expect.arrayContaining([later.id, never.id]));

    expect((await op('POST', `${Q}/jobs/${later.id}/promote`)).status).toBe(204);
    await expectEventually(async () => expect(await state(later.id!)).toBe('completed'), 15_000, 50);
    expect((await op('POST', `${Q}/jobs/${never.id}/remove`)).status).toBe(204);
    expect(await op('GET', `${Q}/jobs/${never.id}`)).toMatchObject({ status: 404, body: { code: 'not_found' } });
    await expectEventually(() =>
      expect(actions(watching.all).map((a) => `${a.action} ${a.jobId}`)).toEqual([`promote ${later.id}`, `remove ${never.id}`]));
  });

  it('pauses the queue so that jobs wait, and resumes it', async () => {
    const paused = await op('POST', `${Q}/pause`);
    expect(paused).toMatchObject({ status: 200, body: { name: 'executions', paused: true } });
    const job = await queue.add(SIMULATED_JOB, { steps: 1 });
    const summary = (await op('GET', Q)).body as QueueSummary;
    expect(summary.paused).toBe(true);
    expect(summary.counts.waiting).toBeGreaterThanOrEqual(1);
    expect(await state(job.id!)).toBe('waiting');

    expect(await op('POST', `${Q}/resume`)).toMatchObject({ status: 200, body: { paused: false } });
    await expectEventually(async () => expect(await state(job.id!)).toBe('completed'), 15_000, 50);
    expect(((await op('GET', '/queues')).body as { queues: QueueSummary[] }).queues).toEqual([
      expect.objectContaining({ name: 'executions', paused: false }),
    ]);
  });

  it('refuses users who are not operators, and answers bad input with 400 or 404', async () => {
    const job = await queue.add(SIMULATED_JOB, { steps: 1 }, { delay: HOUR });
    for (const [method, path] of [
      ['GET', '/queues'], ['GET', Q], ['GET', `${Q}/jobs?state=failed`], ['GET', `${Q}/jobs/${job.id}`],
      ['POST', `${Q}/jobs/${job.id}/retry`], ['POST', `${Q}/jobs/${job.id}/remove`], ['POST', `${Q}/jobs/${job.id}/promote`],
      ['POST', `${Q}/pause`], ['POST', `${Q}/resume`],
    ] as const) {
      const refused = await t.http(method, path, 'mallory', undefined, 'user');
      expect({ path, ...refused }).toMatchObject({ path, status: 403, body: { code: 'forbidden' } });
    }
    expect(await state(job.id!)).toBe('delayed');
    expect((await t.http('GET', `${Q}/jobs/${job.id}`, 'ada', undefined, 'admin')).status).toBe(200);

    const bad: Array<[string, number, string]> = [
      [`${Q}/jobs?state=stuck`, 400, 'invalid_request'],
      [`${Q}/jobs?state=failed&limit=101`, 400, 'invalid_request'],
      [`${Q}/jobs?state=failed&offset=-1`, 400, 'invalid_request'],
      [`${Q}/jobs`, 400, 'invalid_request'],
      ['/queues/nope', 404, 'not_found'],
      ['/queues/no%20such', 400, 'invalid_request'],
      [`${Q}/jobs/no-such-job`, 404, 'not_found'],
    ];
    for (const [path, status, code] of bad) expect({ path, ...(await op('GET', path)) }).toMatchObject({ path, status, body: { code } });
    expect(await op('POST', `${Q}/jobs/no-such-job/retry`)).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });
});

describe('queue admin API with 10,000 jobs', () => {
  let t: TestApp;

  // No worker and no bridge: the jobs stay waiting, and no 10,000 events are published.
  beforeAll(async () => {
    t = await startTestApp({ redis: true, env: { QUEUE_WORKER: 'off', QUEUE_BRIDGE: 'off' } });
  });
  afterAll(() => t.close());

  it('counts them and pages through them on the server, a bounded page at a time', async () => {
    const bull = t.app.get(ExecutionsQueue).bull;
    const jobs = Array.from({ length: 10_000 }, (_, i) => ({ name: SIMULATED_JOB, data: { steps: 1, n: i } }));
    for (let i = 0; i < jobs.length; i += 2000) await bull.addBulk(jobs.slice(i, i + 2000));
    const op = (path: string) => t.http('GET', path, 'olga', undefined, 'operator');

    expect(((await op(Q)).body as QueueSummary).counts).toEqual({ waiting: 10_000, active: 0, delayed: 0, completed: 0, failed: 0 });
    const page = (await op(`${Q}/jobs?state=waiting&offset=9950&limit=100`)).body as Page;
    expect({ ...page, jobs: page.jobs.length }).toEqual({ state: 'waiting', offset: 9950, limit: 100, total: 10_000, jobs: 50 });
    const first = (await op(`${Q}/jobs?state=waiting`)).body as Page;
    expect(first.jobs).toHaveLength(20);
    expect(new Set([...first.jobs, ...page.jobs].map((job) => job.id)).size).toBe(70);
    expect(page.jobs.every((job) => job.state === 'waiting')).toBe(true);
  });
});
