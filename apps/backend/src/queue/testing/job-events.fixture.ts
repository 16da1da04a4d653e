// Helpers for the queue integration tests (type-only imports of the test harness, so this
// file has no runtime dependency outside src).
import type { EventEnvelope, TaskSnapshot } from '@taskdash/contract';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { TestApp } from '../../../../../test/test-app';
import { removeKeysWithPrefix } from '../../redis/redis-client';
import { ExecutionWorker } from '../execution-worker.service';
import { JobHandlerRegistry } from '../job-handler.registry';

export const TEST_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type JobEnvelope = EventEnvelope<Extract<EventEnvelope['type'], `job.${string}`>>;

/** Each job's events, in the order given (delivery or seq order). */
export function timelines(events: readonly EventEnvelope[]): Map<string, JobEnvelope[]> {
  const byJob = new Map<string, JobEnvelope[]>();
  for (const event of events) {
    if (!event.type.startsWith('job.') || event.type === 'job.reload_required') continue;
    const job = event as JobEnvelope;
    const jobId = (job.payload as { jobId: string }).jobId;
    byJob.set(jobId, [...(byJob.get(jobId) ?? []), job]);
  }
  return byJob;
}

/** A job's state changes (progress left out), e.g. `['job.waiting', 'job.active', 'job.completed']`. */
export const states = (timeline: readonly JobEnvelope[]): string[] => timeline.filter((e) => e.type !== 'job.progress').map((e) => e.type);

export const progressValues = (timeline: readonly JobEnvelope[]): number[] =>
  timeline.filter((e) => e.type === 'job.progress').map((e) => (e.payload as { progress: number }).progress);

/** Progress only between `active` and the end, never decreasing, ending at `final`. */
export function checkProgress(timeline: readonly JobEnvelope[], final: number): { ok: boolean; why?: string } {
  const types = timeline.map((e) => e.type);
  const firstProgress = types.indexOf('job.progress');
  const lastProgress = types.lastIndexOf('job.progress');
  const values = progressValues(timeline);
  if (firstProgress >= 0 && firstProgress < types.indexOf('job.active')) return { ok: false, why: 'progress before active' };
  if (lastProgress > types.indexOf('job.completed')) return { ok: false, why: 'progress after completed' };
  if (values.some((v, i) => i > 0 && v < values[i - 1]!)) return { ok: false, why: `decreasing: ${values.join(',')}` };
  if (values.at(-1) !== final) return { ok: false, why: `ends at ${values.at(-1)}` };
  return { ok: true };
}

/** A worker in the test process (as if it were a separate worker process), on its own connection. */
export function startTestWorker(keyPrefix: string, concurrency = 8): { close(): Promise<void> } {
  const redis = new Redis(TEST_REDIS, { maxRetriesPerRequest: null });
  const worker = new ExecutionWorker({ redis, keyPrefix, concurrency }, new JobHandlerRegistry());
  worker.start();
  return {
    async close() {
      await worker.close();
      await redis.quit();
    },
  };
}

export async function createTasks(t: TestApp, owner: string, count: number): Promise<TaskSnapshot[]> {
  const tasks: TaskSnapshot[] = [];
  for (let i = 0; i < count; i++) tasks.push((await t.http('POST', '/tasks', owner, { title: `task ${i}` })).body as TaskSnapshot);
  return tasks;
}

/** Every stored event of `stream` in seq order, straight from the database. */
export async function storedEvents(databaseUrl: string, stream: string): Promise<EventEnvelope[]> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ id: string; seq: string; type: string; payload: unknown; occurred_at: Date }>(
      'SELECT id::text, seq, type, payload, occurred_at FROM events WHERE stream = $1 ORDER BY seq',
      [stream],
    );
    return rows.map((r) => ({ id: r.id, stream, seq: Number(r.seq), epoch: '', type: r.type, occurredAt: r.occurred_at.toISOString(), payload: r.payload }) as EventEnvelope);
  } finally {
    await pg.end();
  }
}

/** Deletes every Redis key under `prefix` (queues, bridge state) after a test file. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS);
  try {
    await removeKeysWithPrefix(redis, prefix);
  } finally {
    await redis.quit();
  }
}

/** Every job's clean history in one stream, checked as a whole: one of each state, progress to 100. */
export function verdicts(events: readonly EventEnvelope[], jobIds: readonly string[]): Array<{ jobId: string; states: string[]; progress: { ok: boolean; why?: string } }> {
  const byJob = timelines(events);
  return jobIds.map((jobId) => {
    const timeline = byJob.get(jobId) ?? [];
    return { jobId, states: states(timeline), progress: checkProgress(timeline, 100) };
  });
}

export const cleanVerdicts = (jobIds: readonly string[]) =>
  jobIds.map((jobId) => ({ jobId, states: ['job.waiting', 'job.active', 'job.completed'], progress: { ok: true } }));
