import { Logger } from '@nestjs/common';
import { ErrorCode, executionStream, type EventEnvelope, type ExecutionSnapshot } from '@taskdash/contract';
import type { Principal } from '../../auth/principal.types';
import { ApiException } from '../../common/api.exception';
import type { Execution } from '../../generated/prisma/client';
import type { ExecutionsQueue } from '../../queue/executions-queue.service';
import type { TaskAccessService } from '../../auth/task-access.service';
import type { ClaudeEventsService } from '../claude-events.service';
import type { EventStore } from '../../events/event-store';
import type { EventTransactions } from '../../events/event-transactions.service';
import { commandOf, PROMPT_PLACEHOLDER, type ExecutionProfile } from '../execution-profile.schema';
import { toExecutionSnapshot, type ExecutionStore } from '../execution.store';
import type { ExecutionOutputStore } from '../output/execution-output.store';
import type { ExecutionRunner } from '../runner/execution-runner.service';
import type { EventsQuery, OutputQuery, StartExecutionBody } from './executions.schemas';

/** The BullMQ job name the runner is registered under. */
export const EXECUTION_JOB = 'execution';

const notFound = () => new ApiException(ErrorCode.NotFound, 'no such execution', 404);

/** A byte range of the log to send, and the log's length when it was read. */
export interface OutputRange {
  from: number;
  to: number;
  total: number;
  status: string;
  bytes: AsyncGenerator<Buffer>;
}

/**
 * The execution API's rules: who may start, cancel and read executions (whoever sees the
 * task), which commands may run (configured profiles only), and how a start reaches a
 * runner (the executions queue; directly when queues are off, i.e. without Redis).
 */
export class ExecutionsService {
  private readonly logger = new Logger(ExecutionsService.name);

  constructor(
    private readonly store: ExecutionStore,
    private readonly output: ExecutionOutputStore,
    private readonly events: EventStore,
    private readonly access: TaskAccessService,
    private readonly queue: ExecutionsQueue,
    private readonly runner: ExecutionRunner,
    private readonly claudeEvents: ClaudeEventsService,
    private readonly transactions: EventTransactions,
    private readonly profiles: Record<string, ExecutionProfile>,
  ) {}

  async start(principal: Principal, taskId: string, body: StartExecutionBody): Promise<ExecutionSnapshot> {
    if (!(await this.access.canSee(principal, taskId)))
      throw new ApiException(ErrorCode.NotFound, 'no such task', 404);
    const profile = this.profiles[body.profile];
    if (!profile) throw new ApiException(ErrorCode.InvalidRequest, `unknown profile ${body.profile}`, 400);
    if (profile.includes(PROMPT_PLACEHOLDER) && body.prompt.trim() === '') {
      throw new ApiException(ErrorCode.InvalidRequest, `profile ${body.profile} needs a prompt`, 400);
    }
    const execution = await this.store.create(taskId, commandOf(profile, body.prompt));
    await this.launch(execution);
    return toExecutionSnapshot(execution);
  }

  async cancel(principal: Principal, executionId: string): Promise<ExecutionSnapshot> {
    const execution = await this.visible(principal, executionId);
    const previous = await this.transactions.run(async (tx) => {
      const previous = await this.store.requestCancel(executionId, tx);
      // No runner will pick a queued one up (it checks the status first), so the stream ends here.
      if (previous === 'queued') {
        await this.claudeEvents.finished(
          { executionId, taskId: execution.taskId, status: 'cancelled', durationMs: 0, outputBytes: 0 },
          { tx },
        );
      }
      return previous;
    });
    if (previous === 'queued') {
      if (this.queue.enabled) await this.queue.bull.remove(executionId).catch(() => undefined);
    } else if (previous === 'running') {
      this.runner.cancelLocal(executionId); // elsewhere the runner sees the status within its poll interval
    }
    return toExecutionSnapshot(await this.visible(principal, executionId));
  }

  /** A task's executions, newest first, for whoever sees the task. */
  async listForTask(principal: Principal, taskId: string, limit: number): Promise<ExecutionSnapshot[]> {
    if (!(await this.access.canSee(principal, taskId))) throw new ApiException(ErrorCode.NotFound, 'no such task', 404);
    return (await this.store.listByTask(taskId, limit)).map(toExecutionSnapshot);
  }

  async get(principal: Principal, executionId: string): Promise<ExecutionSnapshot> {
    return toExecutionSnapshot(await this.visible(principal, executionId));
  }

  async outputRange(principal: Principal, executionId: string, query: OutputQuery): Promise<OutputRange> {
    const execution = await this.visible(principal, executionId);
    const total = await this.output.total(executionId);
    const from =
      query.tail !== undefined ? Math.max(0, total - query.tail) : Math.min(query.from ?? 0, total);
    const to = query.tail !== undefined ? total : Math.min(query.to ?? total, total);
    return {
      from,
      to,
      total,
      status: execution.status,
      bytes: this.output.read(executionId, from, Math.max(from, to)),
    };
  }

  /** Stored events of the execution's stream, for backfilling a skipped range. */
  async storedEvents(
    principal: Principal,
    executionId: string,
    query: EventsQuery,
  ): Promise<{ events: EventEnvelope[]; upTo: number }> {
    await this.visible(principal, executionId);
    const stream = executionStream(executionId);
    const [head] = await this.events.heads([stream]);
    const upTo = Math.min(query.upTo ?? Number.MAX_SAFE_INTEGER, head?.lastSeq ?? 0);
    const found: EventEnvelope[] = [];
    // `scanned`: every event up to it was looked at; the client continues with `after=scanned`.
    let scanned = query.after;
    while (scanned < upTo && found.length < query.limit) {
      const page = await this.events.read(stream, scanned, upTo, 1000);
      if (page.length === 0) return { events: found, upTo };
      for (const event of page) {
        if (query.output === 'include' || event.type !== 'execution.output') {
          if (found.length === query.limit) return { events: found, upTo: scanned };
          found.push(event);
        }
        scanned = event.seq;
      }
    }
    return { events: found, upTo: scanned };
  }

  private async visible(principal: Principal, executionId: string): Promise<Execution> {
    const execution = await this.store.find(executionId);
    if (!execution || !(await this.access.canSee(principal, execution.taskId))) throw notFound();
    return execution;
  }

  private async launch(execution: Execution): Promise<void> {
    const { id: executionId, taskId } = execution;
    if (!this.queue.enabled) {
      // Without Redis there is no queue: run here, now.
      this.runner
        .run(executionId)
        .catch((error: Error) =>
          this.logger.error({ msg: 'execution failed', executionId, error: error.message }),
        );
      return;
    }
    try {
      await this.queue.add(EXECUTION_JOB, { taskId, executionId }, { jobId: executionId });
    } catch (error) {
      const outcome = {
        status: 'failed' as const,
        exitCode: undefined,
        signal: undefined,
        costUsd: undefined,
        usage: undefined,
        outputBytes: 0,
      };
      await this.transactions.run(async (tx) => {
        if ((await this.store.finish(executionId, outcome, tx)) === undefined) return;
        await this.claudeEvents.finished(
          {
            executionId,
            taskId,
            status: 'failed',
            durationMs: 0,
            outputBytes: 0,
            error: 'could not be queued',
          },
          { tx },
        );
      });
      this.logger.warn({
        msg: 'execution could not be queued',
        executionId,
        error: (error as Error).message,
      });
      throw new ApiException(ErrorCode.Unavailable, 'the execution could not be queued; try again', 503);
    }
  }
}
