import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Module, type Type } from '@nestjs/common';
import { taskStream } from '@taskdash/contract';
import type { Job } from 'bullmq';
import { expectEventually } from '../../../test/eventually';
import { startTestApp, type TestApp } from '../../../test/test-app';
import { EventStore } from './events/event-store';
import { QueueBridge } from './queue/bridge/queue-bridge.service';
import { ExecutionsQueue } from './queue/executions-queue.service';

const ROOT = resolve(__dirname, '../../..');
const SCHEMA_HEADER = 'packages/contract/src/events.ts, inside EVENT_PAYLOAD_SCHEMAS';
const SCHEMA_ANCHOR = 'export const EVENT_PAYLOAD_SCHEMAS = {\n';

/** The README's TypeScript blocks, by the file their first line names. */
function readmeBlocks(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = new Map<string, string>();
  for (const match of readme.matchAll(/```ts\n\/\/ ([^\n]+)\n([\s\S]*?)```/g))
    blocks.set(match[1]!, match[2]!);
  return blocks;
}

/**
 * The worked examples of the README's "backend service" section are code a newcomer copies:
 * they must compile against the real backend, and the first two must do what the text says
 * in a running app. They live in a scratch directory under apps/backend (so they resolve the
 * backend's dependencies) and import `@taskdash/backend` as a host's code would.
 */
describe('the README examples', () => {
  const dir = join(ROOT, 'apps/backend/test-artifacts', `readme-${randomUUID().slice(0, 8)}`);
  const blocks = readmeBlocks();
  const examples = [...blocks.keys()].filter((name) => name.startsWith('examples/'));

  beforeAll(() => {
    for (const name of examples) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), blocks.get(name)!);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the three examples the text promises', () => {
    expect(examples.sort()).toEqual([
      'examples/report-jobs.module.ts',
      'examples/task-automation.service.ts',
      'examples/task-comment-events.service.ts',
    ]);
    expect(blocks.has(SCHEMA_HEADER)).toBe(true);
  });

  it('type-check against the backend, with the new event type added to a copy of the contract', async () => {
    // The contract as the README tells you to change it: the schema block inserted into
    // EVENT_PAYLOAD_SCHEMAS. The backend's own sources then compile against that contract.
    const contract = join(dir, 'contract');
    cpSync(join(ROOT, 'packages/contract/src'), contract, {
      recursive: true,
      filter: (src) => !src.endsWith('.test.ts'),
    });
    const events = readFileSync(join(contract, 'events.ts'), 'utf8');
    expect(events).toContain(SCHEMA_ANCHOR);
    writeFileSync(
      join(contract, 'events.ts'),
      events.replace(SCHEMA_ANCHOR, `${SCHEMA_ANCHOR}${blocks.get(SCHEMA_HEADER)!}`),
    );
    const fromRoot = (path: string) => relative(ROOT, path);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: relative(dir, join(ROOT, 'tsconfig.base.json')),
        compilerOptions: {
          noEmit: true,
          types: ['node'],
          paths: {
            '@taskdash/contract': [fromRoot(join(contract, 'index.ts'))],
            '@taskdash/backend': ['apps/backend/src/index.ts'],
          },
        },
        files: examples,
      }),
    );
    const tsc = join(ROOT, 'node_modules/.bin/tsc');
    const result = await promisify(execFile)(tsc, ['-p', join(dir, 'tsconfig.json')], {
      cwd: dir,
      timeout: 120_000,
    })
      .then(() => 'ok')
      .catch((error: Error & { stdout?: string }) => error.stdout || error.message);
    expect(result).toBe('ok');
  }, 150_000);

  describe('in a running app', () => {
    let t: TestApp;
    let store: EventStore;
    const load = <T>(name: string, exported: string) =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require(join(dir, name)) as Record<string, Type<T>>)[exported]!;

    beforeAll(async () => {
      const TaskAutomationService = load('examples/task-automation.service.ts', 'TaskAutomationService');
      const ReportJobsModule = load('examples/report-jobs.module.ts', 'ReportJobsModule');
      @Module({ providers: [TaskAutomationService] })
      class AutomationModule {}
      t = await startTestApp({ redis: true, imports: [AutomationModule, ReportJobsModule] });
      store = t.app.get(EventStore);
      await expectEventually(() => expect(t.app.get(QueueBridge).isLeader).toBe(true));
    });
    afterAll(() => t?.close());

    const newTask = async () =>
      ((await t.http('POST', '/tasks', 'rita', { title: 'readme' })).body as { id: string }).id;

    it('TaskAutomationService.block changes the row and stores its event in one transaction', async () => {
      const taskId = await newTask();
      const service = t.app.get<{ block(id: string): Promise<void> }>(
        load('examples/task-automation.service.ts', 'TaskAutomationService'),
      );
      await service.block(taskId);
      await service.block(taskId); // already blocked: nothing more
      expect(((await t.http('GET', `/tasks/${taskId}`, 'rita')).body as { status: string }).status).toBe(
        'blocked',
      );
      const stream = await store.read(taskStream(taskId), 0, 100, 100);
      expect(stream.filter((e) => e.type === 'task.status_changed').map((e) => e.payload)).toEqual([
        { taskId, from: 'todo', to: 'blocked' },
      ]);
    });

    it('ReportJobs runs a "report" job whose life appears on the task stream', async () => {
      const taskId = await newTask();
      const jobs = t.app.get<{ start(id: string, pages: number): Promise<Job> }>(
        load('examples/report-jobs.module.ts', 'ReportJobs'),
      );
      const job = await jobs.start(taskId, 4);
      await expectEventually(async () => {
        const types = (await store.read(taskStream(taskId), 0, 1000, 1000)).map((e) => e.type);
        expect(types).toContain('job.completed');
      }, 20_000);
      const stream = await store.read(taskStream(taskId), 0, 1000, 1000);
      const mine = stream.filter((e) => (e.payload as { jobId?: string }).jobId === job.id);
      const types = mine.map((e) => e.type);
      expect(types[0]).toBe('job.waiting');
      expect(types.at(-1)).toBe('job.completed');
      expect((await t.app.get(ExecutionsQueue).bull.getJob(job.id!))?.returnvalue).toEqual({ pages: 4 });
      const progress = mine
        .filter((e) => e.type === 'job.progress')
        .map((e) => (e.payload as { progress: number }).progress);
      expect(progress.at(-1)).toBe(100);
    });
  });
});
