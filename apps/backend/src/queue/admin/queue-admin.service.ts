import { Injectable } from '@nestjs/common';
import { ErrorCode, type EventPayloads, type JobDetail, type JobPage, type QueueSummary } from '@taskdash/contract';
import type { Job, Queue } from 'bullmq';
import type { Principal } from '../../auth/principal.types';
import { ApiException } from '../../common/api.exception';
import { ExecutionsQueue } from '../executions-queue.service';
import { QueueEventsService } from '../queue-events.service';
import { refusalOf } from './bull-error.util';
import { countsOf, toJobDetail, toJobSummary } from './job-view.util';
import { LISTED_STATES, type ListJobsQuery } from './queue-admin.schemas';

/** Log lines a job page shows (the newest). */
const LOG_LINES = 200;

type JobAction = 'retry' | 'remove' | 'promote';

/** The state each job action needs, and the refusal when the job is elsewhere. */
const ALLOWED: Record<JobAction, { ok: (state: string) => boolean; needs: string }> = {
  retry: { ok: (state) => state === 'failed', needs: 'only a failed job can be retried' },
  promote: { ok: (state) => state === 'delayed', needs: 'only a delayed job can be promoted' },
  // A worker holds an active job's lock: cancel its execution instead.
  remove: { ok: (state) => state !== 'active', needs: 'an active job cannot be removed; cancel its execution' },
};

/**
 * What operators see and do on a queue, through BullMQ's own API only: counts, pages of
 * jobs per state, one job with its logs and stack traces, and retry, remove, promote, pause
 * and resume. Every action is announced as `queue.action` once BullMQ has accepted it
 * (Redis holds the state, PostgreSQL the event: they cannot commit together, so the event
 * follows the change and never announces one that did not happen).
 */
@Injectable()
export class QueueAdminService {
  constructor(
    private readonly executions: ExecutionsQueue,
    private readonly events: QueueEventsService,
  ) {}

  async list(): Promise<QueueSummary[]> {
    return this.executions.enabled ? [await this.summary(this.executions.name)] : [];
  }

  async summary(name: string): Promise<QueueSummary> {
    const queue = this.queue(name);
    const [paused, counts] = await Promise.all([queue.isPaused(), queue.getJobCounts(...LISTED_STATES)]);
    return { name, paused, counts: countsOf(counts) };
  }

  async jobs(name: string, query: ListJobsQuery): Promise<JobPage> {
    const queue = this.queue(name);
    const { state, offset, limit } = query;
    const [jobs, total] = await Promise.all([
      queue.getJobs([state], offset, offset + limit - 1),
      queue.getJobCountByTypes(state),
    ]);
    // A job removed while the page was read comes back as a gap; leave it out.
    const found = jobs.filter((job): job is Job => Boolean(job));
    return { state, offset, limit, total, jobs: found.map((job) => toJobSummary(job, state)) };
  }

  async job(name: string, jobId: string): Promise<JobDetail> {
    const queue = this.queue(name);
    const job = await this.find(queue, jobId);
    const [state, logs] = await Promise.all([job.getState(), queue.getJobLogs(jobId, 0, LOG_LINES - 1, false)]);
    return toJobDetail(job, state, { lines: [...logs.logs].reverse(), total: logs.count });
  }

  /** Retries a failed job, removes a job that is not running, or promotes a delayed one. */
  async act(principal: Principal, name: string, jobId: string, action: JobAction): Promise<void> {
    const queue = this.queue(name);
    const job = await this.find(queue, jobId);
    const state = await job.getState();
    if (!ALLOWED[action].ok(state)) {
      throw new ApiException(ErrorCode.JobStateConflict, `${ALLOWED[action].needs}; job ${jobId} is ${state}`, 409);
    }
    try {
      if (action === 'retry') await job.retry('failed');
      else if (action === 'promote') await job.promote();
      else await job.remove();
    } catch (error) {
      throw refusalOf(error, jobId, action);
    }
    const summary = toJobSummary(job, state);
    await this.announce({
      queue: name,
      action,
      by: principal.userId,
      jobId,
      name: job.name,
      ...(summary.taskId && { taskId: summary.taskId }),
      ...(summary.executionId && { executionId: summary.executionId }),
    });
  }

  /** Pauses or resumes the whole queue (every worker stops or starts taking jobs). */
  async setPaused(principal: Principal, name: string, paused: boolean): Promise<QueueSummary> {
    const queue = this.queue(name);
    await (paused ? queue.pause() : queue.resume());
    await this.announce({ queue: name, action: paused ? 'pause' : 'resume', by: principal.userId });
    return this.summary(name);
  }

  private announce(payload: EventPayloads['queue.action']): Promise<void> {
    return this.events.action(payload);
  }

  /** The queue by name: only the executions queue exists, and only with Redis. */
  private queue(name: string): Queue {
    if (name !== this.executions.name) throw new ApiException(ErrorCode.NotFound, `no queue ${name}`, 404);
    if (!this.executions.enabled) throw new ApiException(ErrorCode.NotFound, 'job queues are off: REDIS_URL is not set', 404);
    return this.executions.bull;
  }

  private async find(queue: Queue, jobId: string): Promise<Job> {
    const job = await queue.getJob(jobId);
    if (!job) throw new ApiException(ErrorCode.NotFound, `no job ${jobId} in this queue`, 404);
    return job;
  }
}
