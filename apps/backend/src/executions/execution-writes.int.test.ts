import { executionStream } from '@taskdash/contract';
import { whileRefused } from '../../../../test/refused-events';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { EventStore } from '../events/event-store';
import { ExecutionStore } from './execution.store';
import { ExecutionRunner } from './runner/execution-runner.service';
import { createTask, executionEnv } from './testing/execution-test.harness';

const OWNER = 'atomic-owner';

/**
 * An execution's state change and its event are one transaction: when PostgreSQL refuses the
 * event, the row keeps its old state, and once events are accepted again the change is made
 * with its event. Without the transaction the row would end and its stream never would.
 */
describe('execution writes and their events commit together', () => {
  let t: TestApp;
  let store: ExecutionStore;
  let events: EventStore;

  beforeAll(async () => {
    t = await startTestApp({ env: executionEnv() });
    store = t.app.get(ExecutionStore);
    events = t.app.get(EventStore);
  });
  afterAll(() => t.close());

  const typesOf = async (id: string) =>
    (await events.read(executionStream(id), 0, 1000, 1000)).map((e) => e.type);

  it('a run that ends normally returns its outcome, stored with its one execution.finished', async () => {
    const taskId = await createTask(t, OWNER);
    const execution = await store.create(taskId, [process.execPath, '-e', 'process.stdout.write("ok\\n")']);
    expect(await t.app.get(ExecutionRunner).run(execution.id)).toMatchObject({ ran: true, status: 'succeeded', exitCode: 0 });
    expect(await store.find(execution.id)).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect((await typesOf(execution.id)).filter((type) => type === 'execution.finished')).toHaveLength(1);
  });

  it('a run whose execution.finished cannot be stored leaves the row running; the next attempt ends it with its event', async () => {
    const taskId = await createTask(t, OWNER);
    const execution = await store.create(taskId, [process.execPath, '-e', 'process.stdout.write("hi\\n")']);
    await whileRefused(t.runtime.database.prisma, ['execution.finished'], async () => {
      await expect(t.app.get(ExecutionRunner).run(execution.id)).rejects.toThrow(/refused/);
    });
    expect(await store.find(execution.id)).toMatchObject({
      status: 'running',
      finishedAt: null,
      exitCode: null,
    });
    expect(await typesOf(execution.id)).not.toContain('execution.finished');

    // Handed to a runner again (as BullMQ does after a lost worker): ended once, with its event.
    expect(await t.app.get(ExecutionRunner).run(execution.id)).toMatchObject({ ran: true, status: 'failed' });
    expect((await store.find(execution.id))?.finishedAt).not.toBeNull();
    expect((await typesOf(execution.id)).filter((type) => type === 'execution.finished')).toHaveLength(1);
  });

  it('cancelling a queued execution: refused event, nothing cancelled; accepted, cancelled with its event', async () => {
    const taskId = await createTask(t, OWNER);
    const execution = await store.create(taskId, [process.execPath, '-e', '']);
    await whileRefused(t.runtime.database.prisma, ['execution.finished'], async () => {
      const refused = await t.http('POST', `/executions/${execution.id}/cancel`, OWNER);
      expect(refused.status).toBeGreaterThanOrEqual(500);
    });
    expect(await store.status(execution.id)).toBe('queued');
    expect(await typesOf(execution.id)).toEqual([]);

    const cancelled = await t.http('POST', `/executions/${execution.id}/cancel`, OWNER);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(await typesOf(execution.id)).toEqual(['execution.finished']);
  });
});
