import type { ExecutionSnapshot, TaskSnapshot } from '@taskdash/contract';
import { startTestApp, type TestApp } from '../../../../../test/test-app';

describe('GET /tasks/:id/executions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { EXECUTION_PROFILES: JSON.stringify({ echo: [process.execPath, '-e', 'console.log(1)'] }) } });
  });
  afterAll(() => t.close());

  it("lists the task's executions, newest first, to whoever sees the task and to nobody else", async () => {
    const task = (await t.http('POST', '/tasks', 'alice', { title: 'runs', members: ['bob'] })).body as TaskSnapshot;
    const started: string[] = [];
    for (let i = 0; i < 3; i++) started.push(((await t.http('POST', `/tasks/${task.id}/executions`, 'alice', { profile: 'echo' })).body as ExecutionSnapshot).id);

    const listed = await t.http('GET', `/tasks/${task.id}/executions`, 'bob');
    expect(listed.status).toBe(200);
    const executions = (listed.body as { executions: ExecutionSnapshot[] }).executions;
    expect(executions.map((e) => e.id)).toEqual([...started].reverse());
    expect(executions.every((e) => e.taskId === task.id)).toBe(true);
    const limited = (await t.http('GET', `/tasks/${task.id}/executions?limit=1`, 'alice')).body as { executions: ExecutionSnapshot[] };
    expect(limited.executions.map((e) => e.id)).toEqual([started[2]]);

    expect(await t.http('GET', `/tasks/${task.id}/executions`, 'mallory')).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await t.http('GET', `/tasks/${task.id}/executions?limit=0`, 'alice')).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    expect(await t.http('GET', '/tasks/not-a-uuid/executions', 'alice')).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
  });
});
