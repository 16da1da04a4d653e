import { executionStream, taskStream, type EventPayloads } from '@taskdash/contract';
import { subscribe } from '../../../../../test/event-collector';
import { delay, expectEventually } from '../../../../../test/eventually';
import { connected, startTestApp, type TestApp, type TestSocket } from '../../../../../test/test-app';
import { ExecutionOutputStore } from '../output/execution-output.store';
import {
  control,
  createTask,
  directOutput,
  ExecutionRecorder,
  executionEnv,
  fetchOutput,
  sha256,
  startExecution,
} from '../testing/execution-test.harness';

const OWNER = 'viewer-owner';
const MiB = 1 << 20;

describe('viewer stream control', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ redis: true, env: executionEnv() });
  });
  afterAll(() => t.close());

  async function viewer(executionId: string): Promise<{ socket: TestSocket; recorder: ExecutionRecorder }> {
    const socket = t.connect(t.token(OWNER));
    await connected(socket);
    const recorder = new ExecutionRecorder(socket, executionStream(executionId));
    await recorder.fromStart();
    return { socket, recorder };
  }

  it('pauses during 10 MB of output and resumes: the client reassembles exactly the original bytes (by hash), no gap, no duplicate', async () => {
    const spec = JSON.stringify({ bytes: 10 * MiB, writeBytes: 64 * 1024, pauseMs: 12 });
    const expected = directOutput('write-pattern.mjs', spec).stdout;
    const taskId = await createTask(t, OWNER);
    const execution = await startExecution(t, OWNER, taskId, 'pattern', spec);
    const paused = await viewer(execution.id);
    const live = await viewer(execution.id);
    await expectEventually(() => expect(paused.recorder.output().length).toBeGreaterThan(MiB), 30_000, 10);

    const pause = await control(paused.socket, { stream: executionStream(execution.id), action: 'pause' });
    expect(pause).toMatchObject({ ok: true, state: 'paused' });
    if (!pause.ok) return;
    // Everything sent before the pause arrives before its acknowledgement; nothing after it.
    expect(Math.max(...paused.recorder.bySeq.keys())).toBe(pause.position.seq);
    expect(paused.recorder.output().length).toBe(pause.offset);
    const arrivedWhilePaused = paused.recorder.arrivals.length;
    const output = t.app.get(ExecutionOutputStore);
    await expectEventually(async () => expect(await output.total(execution.id)).toBeGreaterThan(pause.offset + 4 * MiB), 30_000, 20);
    expect(paused.recorder.arrivals.length).toBe(arrivedWhilePaused);

    const resume = await control(paused.socket, { stream: executionStream(execution.id), action: 'resume' });
    expect(resume).toMatchObject({ ok: true, state: 'catching_up', position: pause.position, offset: pause.offset });
    await expectEventually(() => expect(paused.recorder.finished()).toBeDefined(), 60_000, 50);

    // After the resume: strictly seq + 1 each time, from the paused position to the end.
    const after = paused.recorder.arrivals.slice(arrivedWhilePaused).map((e) => e.seq);
    expect(after).toEqual(after.map((_, i) => pause.position.seq + 1 + i));
    expect(sha256(paused.recorder.output())).toBe(sha256(expected));
    await expectEventually(() => expect(live.recorder.finished()).toBeDefined(), 30_000, 50);
    expect(sha256(live.recorder.output())).toBe(sha256(expected));
    const resumedAgain = await control(paused.socket, { stream: executionStream(execution.id), action: 'resume' });
    expect(resumedAgain).toMatchObject({ ok: true, state: 'live', offset: expected.length });
  }, 120_000);

  it('tails: starts at the chunk holding the last N bytes and goes on live', async () => {
    const spec = JSON.stringify({ bytes: MiB, writeBytes: 16 * 1024, pauseMs: 0 });
    const expected = directOutput('write-pattern.mjs', spec).stdout;
    const taskId = await createTask(t, OWNER);
    const execution = await startExecution(t, OWNER, taskId, 'pattern', spec);
    const first = await viewer(execution.id);
    await expectEventually(() => expect(first.recorder.finished()).toBeDefined(), 30_000, 50);

    const socket = t.connect(t.token(OWNER));
    await connected(socket);
    const recorder = new ExecutionRecorder(socket, executionStream(execution.id));
    await subscribe(socket, [{ stream: executionStream(execution.id) }]);
    const tail = await control(socket, { stream: executionStream(execution.id), action: 'tail', bytes: 10_000 });
    expect(tail).toMatchObject({ ok: true, state: 'catching_up' });
    if (!tail.ok) return;
    expect(tail.offset).toBeLessThanOrEqual(expected.length - 10_000);
    expect(tail.offset).toBeGreaterThan(expected.length - 10_000 - 16 * 1024);
    await expectEventually(() => expect(recorder.finished()).toBeDefined(), 10_000, 20);
    const firstSeq = Math.min(...recorder.bySeq.keys());
    expect(firstSeq).toBe(tail.position.seq + 1);
    const bytes = recorder.output();
    expect(bytes).toEqual(expected.subarray(tail.offset));
    const fetched = await fetchOutput(t, OWNER, execution.id, '?tail=10000');
    expect(fetched.bytes).toEqual(expected.subarray(expected.length - 10_000));
    expect(fetched.range).toBe(`${expected.length - 10_000}-${expected.length}/${expected.length}`);
  });

  it('pausing twice keeps the position; a pause during a catch-up stops it where it got to', async () => {
    const spec = JSON.stringify({ bytes: 2 * MiB, writeBytes: 16 * 1024, pauseMs: 0 });
    const taskId = await createTask(t, OWNER);
    const execution = await startExecution(t, OWNER, taskId, 'pattern', spec);
    const { socket, recorder } = await viewer(execution.id);
    await expectEventually(() => expect(recorder.finished()).toBeDefined(), 30_000, 50);
    const stream = executionStream(execution.id);
    const tail = await control(socket, { stream, action: 'tail', bytes: 2 * MiB });
    const pause = await control(socket, { stream, action: 'pause' });
    const again = await control(socket, { stream, action: 'pause' });
    expect(pause).toMatchObject({ ok: true, state: 'paused' });
    expect(again).toEqual(pause);
    if (!pause.ok || !tail.ok) return;
    expect(pause.position.seq).toBeGreaterThanOrEqual(tail.position.seq);
    await delay(200);
    const count = recorder.arrivals.length;
    await delay(200);
    expect(recorder.arrivals.length).toBe(count);
  });

  it('refuses control of streams the socket is not subscribed to, and of streams that are not executions', async () => {
    const taskId = await createTask(t, OWNER);
    const execution = await startExecution(t, OWNER, taskId, 'pieces', JSON.stringify({ pauseMs: 0, pieces: [] }));
    const socket = t.connect(t.token(OWNER));
    await connected(socket);
    expect(await control(socket, { stream: executionStream(execution.id), action: 'pause' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_message' },
    });
    await subscribe(socket, [{ stream: taskStream(taskId) }]);
    expect(await control(socket, { stream: taskStream(taskId), action: 'pause' })).toMatchObject({ ok: false, error: { code: 'invalid_stream' } });
    const bogus = await new Promise((resolve) => socket.emit('stream_control', { stream: taskStream(taskId), action: 'rewind' } as never, resolve));
    expect(bogus).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('serves stored events for backfill, without output unless asked', async () => {
    const taskId = await createTask(t, OWNER);
    const execution = await startExecution(t, OWNER, taskId, 'claude', 'simple_hello');
    const { recorder } = await viewer(execution.id);
    await expectEventually(() => expect(recorder.finished()).toBeDefined(), 30_000, 50);
    const all = recorder.ordered();
    const listed = await t.http('GET', `/executions/${execution.id}/events?after=0`, OWNER);
    const body = listed.body as { events: Array<{ type: string; seq: number }>; upTo: number };
    expect(body.events.map((e) => e.type)).toEqual(all.filter((e) => e.type !== 'execution.output').map((e) => e.type));
    expect(body.upTo).toBe(all.at(-1)!.seq);
    const page = await t.http('GET', `/executions/${execution.id}/events?after=0&limit=2&output=include`, OWNER);
    expect((page.body as { events: Array<{ seq: number }> }).events.map((e) => e.seq)).toEqual([1, 2]);
    expect((page.body as { upTo: number }).upTo).toBe(2);
    const finished = all.at(-1)!.payload as EventPayloads['execution.finished'];
    expect(finished.status).toBe('succeeded');
  });
});
