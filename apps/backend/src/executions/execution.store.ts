import {
  executionStream,
  type ExecutionEndStatus,
  type ExecutionSnapshot,
  type ExecutionStatus,
} from '@taskdash/contract';
import type { EventTx } from '../events/event-transactions.service';
import type { Execution, PrismaClient } from '../generated/prisma/client';
import { formatOf } from './execution-profile.schema';

/** How an execution ended, as stored. */
export interface ExecutionOutcome {
  status: ExecutionEndStatus;
  exitCode: number | undefined;
  signal: string | undefined;
  costUsd: number | undefined;
  usage: Record<string, unknown> | undefined;
  outputBytes: number;
}

export function toExecutionSnapshot(execution: Execution): ExecutionSnapshot {
  return {
    id: execution.id,
    taskId: execution.taskId,
    status: execution.status,
    command: execution.command,
    format: formatOf(execution.command),
    stream: executionStream(execution.id),
    exitCode: execution.exitCode,
    signal: execution.signal,
    costUsd: execution.costUsd,
    usage: (execution.usage as Record<string, unknown> | null) ?? null,
    outputBytes: Number(execution.outputBytes),
    createdAt: execution.createdAt.toISOString(),
    startedAt: execution.startedAt?.toISOString() ?? null,
    finishedAt: execution.finishedAt?.toISOString() ?? null,
  };
}

/**
 * The `executions` rows and their state changes. Each change is one conditional statement,
 * so the API (cancel) and the runner (start, finish) on different nodes never overwrite
 * each other: whoever moves the status first wins, the other sees it. A change that has an
 * event takes the domain transaction (`db`, from `EventTransactions.run`) so that the row
 * and its event commit together.
 */
export class ExecutionStore {
  constructor(private readonly prisma: PrismaClient) {}

  create(taskId: string, command: string[]): Promise<Execution> {
    return this.prisma.execution.create({ data: { taskId, command } });
  }

  find(id: string): Promise<Execution | null> {
    return this.prisma.execution.findUnique({ where: { id } });
  }

  /** The task's executions, newest first. */
  listByTask(taskId: string, limit: number): Promise<Execution[]> {
    return this.prisma.execution.findMany({ where: { taskId }, orderBy: { createdAt: 'desc' }, take: limit });
  }

  async status(id: string): Promise<ExecutionStatus | undefined> {
    return (await this.prisma.execution.findUnique({ where: { id }, select: { status: true } }))?.status;
  }

  /** queued → running; false when it is no longer queued (cancelled meanwhile, or run already). */
  async markRunning(id: string): Promise<boolean> {
    const { count } = await this.prisma.execution.updateMany({
      where: { id, status: 'queued' },
      data: { status: 'running', startedAt: new Date() },
    });
    return count === 1;
  }

  /**
   * Marks a queued or running execution cancelled; returns the status it had, or undefined
   * when it had already ended. A queued one is final at once; a running one is stopped by
   * its runner, which sees the status and records the rest of the outcome.
   */
  async requestCancel(id: string, db: EventTx = this.prisma): Promise<'queued' | 'running' | undefined> {
    const rows = await db.$queryRawUnsafe<Array<{ previous: 'queued' | 'running' }>>(
      `UPDATE executions e
       SET status = 'cancelled', finished_at = CASE WHEN o.status = 'queued' THEN now() ELSE e.finished_at END
       FROM (SELECT id, status FROM executions WHERE id = $1::uuid FOR UPDATE) o
       WHERE e.id = o.id AND o.status IN ('queued', 'running')
       RETURNING o.status::text AS previous`,
      id,
    );
    return rows[0]?.previous;
  }

  /**
   * Records the outcome and returns the final status: a cancel that came first keeps its
   * status. Only once: undefined when the execution had ended already (another node ended
   * it as lost while its runner, cut off, still ran), so that nobody ends it twice.
   */
  async finish(
    id: string,
    outcome: ExecutionOutcome,
    db: EventTx = this.prisma,
  ): Promise<ExecutionEndStatus | undefined> {
    const rows = await db.$queryRawUnsafe<Array<{ status: ExecutionEndStatus }>>(
      `UPDATE executions
       SET status = CASE WHEN status = 'cancelled' THEN 'cancelled'::"ExecutionStatus" ELSE $2::"ExecutionStatus" END,
           exit_code = $3, signal = $4, cost_usd = $5, usage = COALESCE($6::jsonb, usage), output_bytes = $7, finished_at = now()
       WHERE id = $1::uuid AND finished_at IS NULL
       RETURNING status::text AS status`,
      id,
      outcome.status,
      outcome.exitCode ?? null,
      outcome.signal ?? null,
      outcome.costUsd ?? null,
      outcome.usage ? JSON.stringify(outcome.usage) : null,
      outcome.outputBytes,
    );
    return rows[0]?.status;
  }
}
