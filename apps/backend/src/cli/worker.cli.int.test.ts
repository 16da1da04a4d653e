import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { queueStream } from '@taskdash/contract';
import { expectEventually } from '../../../../test/eventually';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { ExecutionsQueue } from '../queue/executions-queue.service';
import { SIMULATED_JOB } from '../queue/handlers/simulated-job.handler';
import { cleanVerdicts, createTasks, storedEvents, TEST_REDIS, verdicts } from '../queue/testing/job-events.fixture';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** `cli/worker.cli.ts` as its own process, compiled on the fly (no build needed). */
function startWorkerProcess(env: Record<string, string>): { child: ChildProcess; output: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'apps/backend/src/cli/worker.cli.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TS_NODE_TRANSPILE_ONLY: 'true', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

describe('worker process (cli/worker.cli.ts)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ redis: true, env: { QUEUE_WORKER: 'off', QUEUE_OVERVIEW_INTERVAL_MS: '0' } });
  });
  afterAll(() => t.close());

  it("runs the backend's jobs in its own process, whose events the backend bridges, and stops cleanly on SIGTERM", async () => {
    const worker = startWorkerProcess({ REDIS_URL: TEST_REDIS, REDIS_KEY_PREFIX: t.runtime.config.redisKeyPrefix });
    try {
      await expectEventually(() => expect(worker.output.join('')).toContain('worker started'), 20_000);
      const [task] = await createTasks(t, 'hana', 1);
      const jobs = await Promise.all([1, 2, 3].map(() => t.app.get(ExecutionsQueue).add(SIMULATED_JOB, { taskId: task!.id, steps: 20 })));
      const ids = jobs.map((job) => job.id!);
      await expectEventually(async () => expect(verdicts(await storedEvents(t.database.url, queueStream('executions')), ids)).toEqual(cleanVerdicts(ids)), 20_000);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
  });

  it('refuses to start without REDIS_URL, naming it', async () => {
    const worker = startWorkerProcess({});
    expect(await worker.exited).toBe(78);
    expect(worker.output.join('')).toContain('REDIS_URL is not set');
  });
});
