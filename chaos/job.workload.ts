import { randomUUID } from 'node:crypto';
import { queueStream, taskStream } from '../packages/contract/src';
import type { StoredEvent } from './chaos-database';
import { ChaosQueue } from './chaos-queue';
import { ChaosClient } from './chaos.client';
import { ChaosProducer } from './chaos.producer';
import { sleep, waitFor } from './chaos.util';
import type { Workload, WorkloadContext, WorkloadVerdict } from './chaos.workload';
import { checkJobTimelines, type JobTimelineVerdict } from './job-timeline.checker';
import { checkStreams, missingDeliveries } from './stream.checker';

const QUEUE = queueStream('executions');
const KEY_PREFIX = 'chaos'; // the backends' REDIS_KEY_PREFIX (ChaosEnvironment.backendEnv)

export interface JobWorkloadOptions {
  /** Tasks the jobs belong to (their `task:<id>` streams get the jobs' events too). */
  tasks: number;
  /** Admin clients, half on each node, each subscribed to the queue's stream and every task's. */
  watchers: number;
  /** Progress reports per job, and the pause before each. */
  steps: number;
  stepMs: number;
  /** Run the jobs on a worker process of its own with this concurrency (the nodes have QUEUE_WORKER=off). */
  workerConcurrency?: number;
}

/**
 * Simulated jobs (the backend's `simulated` handler: progress up to 100, then done) queued
 * on the executions queue at a steady rate for as long as the fault lasts. The stored
 * events are the ground truth: every queued job must end exactly once, its states only
 * move forward, its progress never goes down, and every subscribed client must have
 * received exactly the stored events of its streams. BullMQ's own final state of each job
 * must match the event that ended it.
 */
export class JobWorkload implements Workload {
  /** Jobs whose `add` Redis acknowledged. */
  readonly queued: Array<{ jobId: string; stream: string }> = [];
  private readonly watchers: ChaosClient[] = [];
  private queue: ChaosQueue | undefined;
  private streams: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly ctx: WorkloadContext,
    private readonly options: JobWorkloadOptions,
  ) {}

  async start(): Promise<void> {
    const { env } = this.ctx;
    const token = env.token('chaos-admin', 'admin');
    const taskIds = await ChaosProducer.createTasks(env.urls[0]!, token, this.options.tasks);
    this.streams = [QUEUE, ...taskIds.map(taskStream)];
    for (let i = 0; i < this.options.watchers; i++) this.watchers.push(new ChaosClient(env.urls[i % env.urls.length]!, token, this.streams, true));
    await Promise.all(this.watchers.map((watcher) => watcher.start()));
    if (this.options.workerConcurrency) await env.startWorker({ QUEUE_WORKER_CONCURRENCY: String(this.options.workerConcurrency) });
    this.queue = new ChaosQueue(env.redis.port, KEY_PREFIX);
    this.running = true;
    this.loop = this.enqueue(taskIds);
    // Under way: some job reported progress through the bridge.
    await waitFor(async () => (await this.stored([QUEUE])).get(QUEUE)!.some((e) => e.type === 'job.progress'), 60_000, 'the first job progress', 200);
  }

  async finish(): Promise<WorkloadVerdict> {
    const { size, notes } = this.ctx;
    await waitFor(() => this.queued.length >= size.minJobs, (size.minJobs / size.jobsPerSecond) * 2000 + 60_000, `${size.minJobs} jobs queued`, 100);
    this.running = false;
    await this.loop;
    const jobIds = this.queued.map((job) => job.jobId);
    const ends = size.full ? 240_000 : 60_000;
    await waitFor(async () => checkJobTimelines(QUEUE, (await this.stored([QUEUE])).get(QUEUE)!, jobIds).noTerminal === 0, ends, 'every job ended', 250).catch(() => undefined);
    let stored = await this.stored(this.streams);
    await waitFor(async () => missingDeliveries((stored = await this.stored(this.streams)), this.watchers) === 0, size.full ? 60_000 : 30_000, 'watchers caught up', 250).catch(() => undefined);
    const streams = checkStreams(stored, this.watchers);
    const timelines = this.streams.map((stream) => checkJobTimelines(stream, stored.get(stream)!, this.expectedIn(stream)));
    const sum = (key: keyof Omit<JobTimelineVerdict, 'terminal' | 'examples'>) => timelines.reduce((total, t) => total + t[key], 0);
    const ends0 = timelines[0]!.terminal;
    const mismatched = await this.bullMismatches(ends0);
    const [noTerminal, extraTerminal, backwards, progress] = [sum('noTerminal'), sum('extraTerminal'), sum('backwards'), sum('progress')];
    Object.assign(notes, {
      jobs: jobIds.length,
      // (`failed` is the scenario's verdict: a note of that name fails it.)
      jobsCompleted: [...ends0.values()].filter((type) => type === 'job.completed').length,
      jobsFailed: [...ends0.values()].filter((type) => type === 'job.failed').length,
      jobStreamEvents: [...stored.values()].reduce((n, list) => n + list.length, 0),
      noEnd: noTerminal,
      twoEnds: extraTerminal,
      backwards,
      progressDown: progress,
      bullMismatch: mismatched.length,
      gapNotices: sum('gapNotices'),
      excusedByGap: sum('excused'),
      storeGaps: streams.storeGaps,
    });
    const problems = noTerminal + extraTerminal + backwards + progress + mismatched.length + streams.storeGaps;
    return {
      ...streams,
      examples: [...streams.examples, ...timelines.flatMap((t) => t.examples), ...mismatched].slice(0, 20),
      ...(problems > 0 ? { failed: 'job timelines do not hold' } : {}),
    };
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
    this.watchers.forEach((watcher) => watcher.close());
    await this.queue?.close();
  }

  /** One job per 1/jobsPerSecond s, round-robin over the tasks, until `finish`. */
  private async enqueue(taskIds: string[]): Promise<void> {
    const { steps, stepMs } = this.options;
    for (let i = 0; this.running; i++) {
      const started = Date.now();
      const jobId = randomUUID();
      const taskId = taskIds[i % taskIds.length]!;
      // Waits out a Redis restart (the queue's connection retries until Redis is back).
      await this.queue!.add('simulated', jobId, { taskId, steps, stepMs });
      this.queued.push({ jobId, stream: taskStream(taskId) });
      await sleep(Math.max(0, 1000 / this.ctx.size.jobsPerSecond - (Date.now() - started)));
    }
  }

  private expectedIn(stream: string): string[] {
    return this.queued.filter((job) => stream === QUEUE || job.stream === stream).map((job) => job.jobId);
  }

  /** Jobs whose final state in BullMQ is not the event that ended them. */
  private async bullMismatches(ends: Map<string, string>): Promise<string[]> {
    const out: string[] = [];
    for (const { jobId } of this.queued) {
      const state = await this.queue!.state(jobId);
      const event = ends.get(jobId);
      if (event !== `job.${state}`) out.push(`job ${jobId}: BullMQ says ${state}, the stream says ${event ?? 'nothing'}`);
    }
    return out;
  }

  private stored(streams: string[]): Promise<Map<string, StoredEvent[]>> {
    return this.ctx.env.database.events(streams);
  }
}
