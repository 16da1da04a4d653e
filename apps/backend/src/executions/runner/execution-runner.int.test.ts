import { isUtf8 } from 'node:buffer';
import { executionStream, type EventPayloads } from '@taskdash/contract';
import { expectEventually } from '../../../../../test/eventually';
import { connected, startTestApp, type TestApp } from '../../../../../test/test-app';
import { EXPECTED_FACTS, EXPECTED_TYPES, TRANSCRIPTS, transcript } from '../claude/transcripts.fixture';
import { ExecutionStore } from '../execution.store';
import { ExecutionRunner } from './execution-runner.service';
import {
  createTask,
  ExecutionRecorder,
  executionEnv,
  fetchOutput,
  startExecution,
} from '../testing/execution-test.harness';

const OWNER = 'runner-owner';

/** Whether a process (or, for a negative pid, a process group) exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describe('execution runner', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ redis: true, env: executionEnv() });
  });
  afterAll(() => t.close());

  async function record(executionId: string): Promise<ExecutionRecorder> {
    const socket = t.connect(t.token(OWNER));
    await connected(socket);
    const recorder = new ExecutionRecorder(socket, executionStream(executionId));
    await recorder.fromStart();
    return recorder;
  }

  it.each(TRANSCRIPTS)(
    'replays the recorded %s transcript through a fake claude (via the queue): typed events in order, byte-exact output',
    async (name) => {
      const taskId = await createTask(t, OWNER);
      const execution = await startExecution(t, OWNER, taskId, 'claude', name);
      expect(execution).toMatchObject({ status: 'queued', format: 'stream-json', stream: `execution:${execution.id}` });
      const recorder = await record(execution.id);
      await expectEventually(() => expect(recorder.finished()).toBeDefined(), 30_000, 50);

      const events = recorder.ordered();
      expect(events[0]?.type).toBe('execution.started');
      expect(events.at(-1)?.type).toBe('execution.finished');
      expect(events.filter((e) => e.type.startsWith('claude.')).map((e) => e.type)).toEqual(EXPECTED_TYPES[name]);
      const bytes = transcript(name);
      expect(recorder.output()).toEqual(bytes);
      expect((await fetchOutput(t, OWNER, execution.id)).bytes).toEqual(bytes);

      // A line's event comes after the output event that completes the line.
      for (const event of events.filter((e) => e.type.startsWith('claude.'))) {
        const { at } = event.payload as { at: number };
        const lineEnd = bytes.indexOf(0x0a, at) + 1;
        const covered = events.filter((e) => e.type === 'execution.output' && e.seq < event.seq);
        const last = covered.at(-1)?.payload as EventPayloads['execution.output'];
        expect(last.offset + last.length).toBeGreaterThanOrEqual(lineEnd);
      }

      const expected = EXPECTED_FACTS[name];
      expect(recorder.finished()).toMatchObject({ status: 'succeeded', exitCode: 0, costUsd: expected.costUsd, outputBytes: bytes.length });
      const stored = await t.http('GET', `/executions/${execution.id}`, OWNER);
      expect(stored.body).toMatchObject({ status: 'succeeded', exitCode: 0, signal: null, costUsd: expected.costUsd, outputBytes: bytes.length });
      expect((stored.body as { usage: unknown }).usage).toMatchObject({ output_tokens: expect.any(Number) });
    },
    60_000,
  );

  it('reassembles output whose reads end inside a 4-byte emoji and inside \\x1b[31m, from any starting offset', async () => {
    const text = Buffer.from('start 😀 then \x1b[31mred\x1b[0m and 🎉 done\n');
    const emoji = text.indexOf('😀');
    const csi = text.indexOf('\x1b[31m');
    // Reads end after 2 bytes of the emoji and after `\x1b[3`; stderr writes come in between.
    const cuts = [emoji + 2, csi + 3, text.length];
    const pieces = cuts.flatMap((end, i) => [
      { fd: 1, b64: text.subarray(i === 0 ? 0 : cuts[i - 1], end).toString('base64') },
      { fd: 2, b64: Buffer.from(`err${i} ✓\n`).toString('base64') },
    ]);
    const taskId = await createTask(t, OWNER);
    // Pauses longer than the coalescing window, so each piece is a read of its own.
    const execution = await startExecution(t, OWNER, taskId, 'pieces', JSON.stringify({ pauseMs: 80, pieces }));
    expect(execution.format).toBe('raw');
    const recorder = await record(execution.id);
    await expectEventually(() => expect(recorder.finished()).toMatchObject({ status: 'succeeded' }), 30_000, 50);

    expect(recorder.outputOf('stdout')).toEqual(text);
    // Each read became its own chunk, cut before the emoji and before the escape, never inside.
    const stdoutEnds = recorder
      .ordered()
      .filter((e) => e.type === 'execution.output' && (e.payload as EventPayloads['execution.output']).fd === 'stdout')
      .map((e) => (e.payload as EventPayloads['execution.output']).length)
      .map((length, i, all) => all.slice(0, i + 1).reduce((a, b) => a + b, 0));
    expect(stdoutEnds).toEqual([emoji, csi, text.length]);
    expect(recorder.outputOf('stderr').toString()).toBe('err0 ✓\nerr1 ✓\nerr2 ✓\n');
    const log = recorder.output();
    const outputs = recorder.ordered().filter((e) => e.type === 'execution.output');
    for (const event of outputs) {
      const payload = event.payload as EventPayloads['execution.output'];
      expect(payload.encoding).toBeUndefined(); // every chunk is valid text on its own
      // A client starting at this chunk reassembles exactly the rest of the log.
      expect(recorder.output(payload.offset)).toEqual(log.subarray(payload.offset));
    }
    for (let from = 0; from <= log.length; from++) {
      const fetched = await fetchOutput(t, OWNER, execution.id, `?from=${from}`);
      expect(fetched.bytes).toEqual(log.subarray(from));
      expect(fetched.range).toBe(`${from}-${log.length}/${log.length}`);
    }
    const chunkStarts = outputs.map((e) => (e.payload as EventPayloads['execution.output']).offset);
    for (const start of chunkStarts) expect(isUtf8(log.subarray(start))).toBe(true);
  });

  it('cancels a running execution: the process group is gone, the final event says cancelled, the output so far is stored', async () => {
    const taskId = await createTask(t, OWNER);
    const execution = await startExecution(t, OWNER, taskId, 'group');
    const recorder = await record(execution.id);
    // Both the leader and its helper have written.
    await expectEventually(() => expect(recorder.outputOf('stdout').toString()).toMatch(/helper pid=\d+[\s\S]*leader pid=|leader pid=\d+[\s\S]*helper pid=/), 20_000, 50);
    const started = recorder.ordered().find((e) => e.type === 'execution.started')!.payload as EventPayloads['execution.started'];

    const cancel = await t.http('POST', `/executions/${execution.id}/cancel`, OWNER);
    expect(cancel.status).toBe(202);
    await expectEventually(() => expect(recorder.finished()).toBeDefined(), 20_000, 50);

    expect(recorder.finished()).toMatchObject({ status: 'cancelled', signal: 'SIGTERM' });
    const pids = [...recorder.outputOf('stdout').toString().matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    expect(new Set(pids).size).toBe(2);
    expect(alive(-started.pid)).toBe(false);
    for (const pid of new Set(pids)) expect(alive(pid)).toBe(false);
    const stored = await fetchOutput(t, OWNER, execution.id);
    expect(stored.bytes).toEqual(recorder.output());
    expect(stored.bytes.length).toBe(recorder.finished()!.outputBytes);
    expect((await t.app.get(ExecutionStore).find(execution.id))?.status).toBe('cancelled');
  });

  it('cancels a queued execution before it runs, and a cancelled execution cannot be cancelled into anything else', async () => {
    const store = t.app.get(ExecutionStore);
    const taskId = await createTask(t, OWNER);
    const queued = await store.create(taskId, ['never-run']);
    const cancel = await t.http('POST', `/executions/${queued.id}/cancel`, OWNER);
    expect(cancel.body).toMatchObject({ status: 'cancelled' });
    expect(await store.markRunning(queued.id)).toBe(false);
    expect(await store.requestCancel(queued.id)).toBeUndefined();
  });

  it('ends an execution whose runner died mid-run when its job comes back: failed once, and a late finish of the dead runner changes nothing', async () => {
    const store = t.app.get(ExecutionStore);
    const runner = t.app.get(ExecutionRunner);
    const taskId = await createTask(t, OWNER);
    // The first runner marked it running and then its node died: no process, no end, and
    // BullMQ hands the job to another worker once the dead worker's lock has expired.
    const execution = await store.create(taskId, ['never-run']);
    expect(await store.markRunning(execution.id)).toBe(true);
    const recorder = await record(execution.id);

    const result = await runner.run(execution.id);
    expect(result).toMatchObject({ ran: true, status: 'failed', outputBytes: 0, error: expect.stringContaining('lost') });
    await expectEventually(() => expect(recorder.finished()).toMatchObject({ status: 'failed', error: expect.stringContaining('lost') }), 10_000, 50);
    expect((await store.find(execution.id))?.status).toBe('failed');

    // The job delivered yet again, and the dead runner's own finish (had it only been cut
    // off): neither ends it a second time.
    expect(await runner.run(execution.id)).toEqual({ ran: false, status: 'failed' });
    const none = { exitCode: 0, signal: undefined, costUsd: undefined, usage: undefined, outputBytes: 0 };
    expect(await store.finish(execution.id, { status: 'succeeded', ...none })).toBeUndefined();
    expect((await store.find(execution.id))?.status).toBe('failed');
    const events = await t.http('GET', `/executions/${execution.id}/events`, OWNER);
    expect((events.body as { events: Array<{ type: string }> }).events.map((e) => e.type)).toEqual(['execution.finished']);
  });

  it('fails an execution whose command cannot start, and says why', async () => {
    const app = await startTestApp({ redis: true, env: executionEnv({ CLAUDE_BINARY: '/nonexistent/claude' }) });
    try {
      const taskId = await createTask(app, OWNER);
      const execution = await startExecution(app, OWNER, taskId, 'claude', 'hello');
      await expectEventually(async () => expect((await app.http('GET', `/executions/${execution.id}`, OWNER)).body).toMatchObject({ status: 'failed' }), 20_000, 50);
      const events = await app.http('GET', `/executions/${execution.id}/events`, OWNER);
      expect(events.body).toMatchObject({
        events: [{ type: 'execution.finished', payload: { status: 'failed', error: expect.stringContaining('could not start') } }],
      });
    } finally {
      await app.close();
    }
  });

  it('hides executions from users who cannot see the task, and refuses unknown profiles', async () => {
    const taskId = await createTask(t, OWNER);
    expect((await t.http('POST', `/tasks/${taskId}/executions`, 'stranger', { profile: 'pieces', prompt: '{}' })).status).toBe(404);
    expect((await t.http('POST', `/tasks/${taskId}/executions`, OWNER, { profile: 'rm-rf' })).body).toMatchObject({ code: 'invalid_request' });
    expect((await t.http('POST', `/tasks/${taskId}/executions`, OWNER, { profile: 'claude', prompt: ' ' })).status).toBe(400);
    const execution = await startExecution(t, OWNER, taskId, 'pieces', JSON.stringify({ pauseMs: 0, pieces: [] }));
    expect((await t.http('GET', `/executions/${execution.id}`, 'stranger')).status).toBe(404);
    expect((await fetchOutput(t, 'stranger', execution.id)).status).toBe(404);
    expect((await t.http('POST', `/executions/${execution.id}/cancel`, 'stranger')).status).toBe(404);
  });
});
