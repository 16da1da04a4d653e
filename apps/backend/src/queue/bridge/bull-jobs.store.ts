import type { RedisClient } from '../../redis/redis-client';
import { ExecutionJobDataSchema } from '../execution-job.types';
import type { JobInfo } from './job-state.tracker';

/** A job that may have lost events, with its task when known. */
export interface StaleJob {
  jobId: string;
  taskId?: string;
}

/**
 * Reads BullMQ's own keys (`<bullPrefix>:<queue>:<jobId>` hashes, the state lists and
 * sets) with pipelined plain commands: the bridge needs a job's task for each new job it
 * sees, which must not cost a round trip per job.
 */
export class BullJobsStore {
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    bullPrefix: string,
    queue: string,
  ) {
    this.base = `${bullPrefix}:${queue}`;
  }

  /** Name, task and execution of each job still stored (a removed job is absent). */
  async info(jobIds: readonly string[]): Promise<Map<string, JobInfo>> {
    const found = new Map<string, JobInfo>();
    if (jobIds.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const jobId of jobIds) pipeline.hmget(`${this.base}:${jobId}`, 'name', 'data');
    const replies = (await pipeline.exec()) ?? [];
    jobIds.forEach((jobId, i) => {
      const [error, reply] = replies[i] ?? [];
      const [name, data] = (error ? [] : reply) as Array<string | null>;
      if (name) found.set(jobId, { name: name.slice(0, 128), ...taskOf(data ?? null) });
    });
    return found;
  }

  /**
   * Jobs whose events a gap may have swallowed: every unfinished job, and the jobs that
   * finished at or after `sinceMs`. At most `limit`; `truncated` when there were more.
   */
  async staleSince(sinceMs: number, limit: number): Promise<{ jobs: StaleJob[]; truncated: boolean }> {
    const pipeline = this.redis.pipeline();
    for (const list of ['active', 'wait', 'paused']) pipeline.lrange(`${this.base}:${list}`, 0, limit);
    for (const set of ['prioritized', 'delayed', 'waiting-children']) pipeline.zrange(`${this.base}:${set}`, 0, limit);
    // Finished sets are scored by finishedOn (ms).
    for (const set of ['completed', 'failed']) pipeline.zrevrangebyscore(`${this.base}:${set}`, '+inf', sinceMs, 'LIMIT', 0, limit + 1);
    const replies = (await pipeline.exec()) ?? [];
    const ids = new Set<string>();
    for (const [error, reply] of replies) if (!error) for (const id of reply as string[]) ids.add(id);
    const listed = [...ids].slice(0, limit);
    const info = await this.info(listed);
    const jobs = listed.map((jobId) => ({ jobId, ...(info.get(jobId)?.taskId ? { taskId: info.get(jobId)!.taskId } : {}) }));
    return { jobs, truncated: ids.size > limit };
  }
}

function taskOf(data: string | null): Pick<JobInfo, 'taskId' | 'executionId'> {
  if (!data) return {};
  try {
    const parsed = ExecutionJobDataSchema.safeParse(JSON.parse(data));
    if (!parsed.success) return {};
    const { taskId, executionId } = parsed.data;
    return { ...(taskId ? { taskId } : {}), ...(executionId ? { executionId } : {}) };
  } catch {
    return {};
  }
}
