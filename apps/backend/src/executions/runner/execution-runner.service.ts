import { Logger } from '@nestjs/common';
import type { EventPayloads, ExecutionEndStatus } from '@taskdash/contract';
import type { ClaudeEventsService } from '../claude-events.service';
import type { EventTransactions } from '../../events/event-transactions.service';
import type { ExecutionOutcome, ExecutionStore } from '../execution.store';
import type { ExecutionOutputStore } from '../output/execution-output.store';
import { ExecutionRun, type RunOutcome } from './execution-run';
import type { RunnerOptions } from './runner-options.types';

/** What a run ended with; also the BullMQ job's return value. */
export type RunResult =
  { ran: false; status: string | undefined } | ({ ran: true } & EventPayloads['execution.finished']);

const ERRORS: Record<string, string> = {
  interrupted: 'interrupted: the worker shut down',
  output_failed: 'the output log could not be written',
};
const LOST = 'lost: the node running it stopped before it ended';

/** The status an outcome means. `is_error` of Claude Code's result line counts, not only the exit code. */
function statusOf(outcome: RunOutcome): ExecutionEndStatus {
  switch (outcome.stopReason) {
    case 'cancelled':
    case 'timed_out':
      return outcome.stopReason;
    case 'interrupted':
    case 'output_failed':
      return 'failed';
    case undefined:
      return outcome.end.code === 0 && !outcome.end.error && !outcome.result?.isError
        ? 'succeeded'
        : 'failed';
  }
}

/**
 * Runs executions: a queued execution becomes running, its process runs to the end (or is
 * stopped), and the outcome (status, exit code or signal, duration, Claude Code's cost and
 * usage) is stored and published as `execution.finished`, always, whatever went wrong.
 * Invoked by the executions queue's worker (job `execution`) or directly.
 */
export class ExecutionRunner {
  private readonly logger = new Logger(ExecutionRunner.name);
  private readonly running = new Map<string, ExecutionRun>();

  constructor(
    private readonly store: ExecutionStore,
    private readonly output: ExecutionOutputStore,
    private readonly events: ClaudeEventsService,
    private readonly transactions: EventTransactions,
    private readonly options: RunnerOptions,
  ) {}

  /** Executions running in this process. */
  get active(): number {
    return this.running.size;
  }

  /** Stops the execution if it runs here; other nodes notice the cancelled status themselves. */
  cancelLocal(executionId: string): boolean {
    const run = this.running.get(executionId);
    run?.stop('cancelled');
    return run !== undefined;
  }

  async run(executionId: string, signal: AbortSignal = new AbortController().signal): Promise<RunResult> {
    const execution = await this.store.find(executionId);
    if (!execution) throw new Error(`execution ${executionId} does not exist`);
    if (!(await this.store.markRunning(executionId))) {
      const status = await this.store.status(executionId);
      // Still running, yet handed to a worker again: BullMQ does that only once the lock of
      // the worker that started it expired, i.e. its node died mid-run (kill -9, crash, a
      // shutdown past its timeout). Nobody else will ever end it.
      if (status === 'running') return this.endLost(execution);
      // Cancelled while queued, or ended already: nothing to do.
      return { ran: false, status };
    }
    const run = new ExecutionRun(execution, {
      output: this.output,
      events: this.events,
      options: this.options,
      isCancelled: async () => (await this.store.status(executionId)) === 'cancelled',
    });
    this.running.set(executionId, run);
    let outcome: RunOutcome | undefined;
    let error: string | undefined;
    try {
      outcome = await run.execute(signal);
      error = outcome.end.error
        ? `could not start: ${outcome.end.error.message}`
        : ERRORS[outcome.stopReason ?? ''];
    } catch (caught) {
      error = `runner failed: ${(caught as Error).message}`;
      this.logger.error({ msg: 'execution runner failed', executionId, error: (caught as Error).message });
    } finally {
      this.running.delete(executionId);
    }
    return this.finish(execution, run, outcome, error);
  }

  private async finish(
    execution: { id: string; taskId: string },
    run: ExecutionRun,
    outcome: RunOutcome | undefined,
    error: string | undefined,
  ): Promise<RunResult> {
    const outputBytes = outcome?.outputBytes ?? (await this.output.total(execution.id));
    const stored = {
      status: outcome ? statusOf(outcome) : 'failed',
      exitCode: outcome?.end.code ?? undefined,
      signal: outcome?.end.signal ?? undefined,
      costUsd: outcome?.result?.totalCostUsd,
      usage: outcome?.result?.usage,
      outputBytes,
    } as const;
    const describe = (status: ExecutionEndStatus): EventPayloads['execution.finished'] => ({
      executionId: execution.id,
      taskId: execution.taskId,
      status,
      ...(outcome?.end.code !== null && outcome?.end.code !== undefined
        ? { exitCode: outcome.end.code }
        : {}),
      ...(outcome?.end.signal ? { signal: outcome.end.signal } : {}),
      durationMs: Date.now() - run.startedAt,
      outputBytes,
      ...(outcome?.result?.totalCostUsd !== undefined ? { costUsd: outcome.result.totalCostUsd } : {}),
      ...(outcome?.result?.usage ? { usage: outcome.result.usage } : {}),
      ...(error ? { error } : {}),
    });
    const finished = await this.end(execution.id, stored, describe);
    // Ended as lost by another node meanwhile (this one was cut off from the queue): its end stands.
    if (finished === undefined) return { ran: false, status: await this.store.status(execution.id) };
    this.logger.log({
      msg: 'execution finished',
      executionId: execution.id,
      status: finished.status,
      exitCode: finished.exitCode,
      signal: finished.signal,
      outputBytes: finished.outputBytes,
    });
    return { ran: true, ...finished };
  }

  /** Ends an execution whose runner is gone: failed, with the output it had stored, once. */
  private async endLost(execution: {
    id: string;
    taskId: string;
    startedAt: Date | null;
  }): Promise<RunResult> {
    const outputBytes = await this.output.total(execution.id);
    const none = { exitCode: undefined, signal: undefined, costUsd: undefined, usage: undefined };
    const finished = await this.end(execution.id, { status: 'failed', ...none, outputBytes }, (status) => ({
      executionId: execution.id,
      taskId: execution.taskId,
      status,
      durationMs: execution.startedAt ? Math.max(0, Date.now() - execution.startedAt.getTime()) : 0,
      outputBytes,
      error: LOST,
    }));
    if (finished === undefined) return { ran: false, status: await this.store.status(execution.id) };
    this.logger.warn({
      msg: 'execution ended as lost: the node running it stopped',
      executionId: execution.id,
      outputBytes,
    });
    return { ran: true, ...finished };
  }

  /**
   * Stores the outcome and its `execution.finished` in one transaction; undefined (and no
   * event) when the execution had ended already.
   */
  private end(
    executionId: string,
    outcome: ExecutionOutcome,
    describe: (status: ExecutionEndStatus) => EventPayloads['execution.finished'],
  ): Promise<EventPayloads['execution.finished'] | undefined> {
    return this.transactions.run(async (tx) => {
      const status = await this.store.finish(executionId, outcome, tx);
      if (status === undefined) return undefined;
      const finished = describe(status);
      await this.events.finished(finished, { tx });
      return finished;
    });
  }
}
