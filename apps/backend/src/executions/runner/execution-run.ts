import type { EventPayloads } from '@taskdash/contract';
import type { ClaudeEventsService } from '../claude-events.service';
import { StreamJsonParser } from '../claude/stream-json.parser';
import { formatOf } from '../execution-profile.schema';
import type { ExecutionOutputStore } from '../output/execution-output.store';
import { OutputChunker, type OutputChunk } from '../output/output-chunker';
import { OutputPipeline } from '../output/output-pipeline';
import { ExecutionProcess, type ProcessEnd } from './execution-process';
import type { RunnerOptions } from './runner-options.types';

/** Why the runner stopped a process before it ended by itself. */
export type StopReason = 'cancelled' | 'timed_out' | 'interrupted' | 'output_failed';

export interface RunOutcome {
  end: ProcessEnd;
  stopReason: StopReason | undefined;
  outputBytes: number;
  /** Claude Code's `result` line, when the output was stream-json and had one. */
  result: EventPayloads['claude.result'] | undefined;
  startedAt: number;
}

export interface RunDeps {
  output: ExecutionOutputStore;
  events: ClaudeEventsService;
  options: RunnerOptions;
  /** Whether the execution was cancelled from elsewhere (another node's API). */
  isCancelled: () => Promise<boolean>;
}

/**
 * One execution of a command: its process, the chunker that turns reads into log chunks,
 * the stream-json parser when the output is Claude Code's, and the pipeline that stores and
 * publishes both in order. Stops the process on cancel, timeout or shutdown.
 */
export class ExecutionRun {
  readonly startedAt = Date.now();
  private process: ExecutionProcess | undefined;
  private stopReason: StopReason | undefined;

  constructor(
    private readonly execution: { id: string; taskId: string; command: string[] },
    private readonly deps: RunDeps,
  ) {}

  stop(reason: StopReason): void {
    this.stopReason ??= reason;
    this.process?.stop();
  }

  async execute(signal: AbortSignal): Promise<RunOutcome> {
    const { id, taskId, command } = this.execution;
    const { options, events } = this.deps;
    const format = formatOf(command);
    const parser = format === 'stream-json' ? new StreamJsonParser() : undefined;
    const pipeline = new OutputPipeline(id, this.deps.output, (chunk) => events.output(id, chunk), {
      pause: () => this.process?.pause(),
      resume: () => this.process?.resume(),
    }, { inflightBytes: options.inflightBytes });
    const onChunk = (chunk: OutputChunk) => {
      pipeline.push({ kind: 'output', chunk });
      if (parser && chunk.fd === 1) {
        for (const fact of parser.push(chunk.offset, chunk.bytes)) pipeline.push({ kind: 'event', publish: () => events.fact(id, fact) });
      }
      if (pipeline.failed) this.stop('output_failed');
    };
    const chunker = new OutputChunker({ chunkBytes: options.chunkBytes, windowMs: options.chunkWindowMs }, onChunk);
    const child = new ExecutionProcess(command, { cwd: options.cwd, env: options.env, killGraceMs: options.killGraceMs }, (fd, data) =>
      chunker.push(fd, data),
    );
    this.process = child;
    if (this.stopReason) child.stop(); // stopped while starting
    const pid = child.pid;
    // Before any output: reads are delivered on later turns of the event loop.
    if (pid !== undefined) pipeline.push({ kind: 'event', publish: () => events.started({ executionId: id, taskId, pid, format }) });
    const release = this.watch(signal);
    try {
      const end = await child.ended;
      await child.waitGone(options.killGraceMs + 1000);
      chunker.end();
      for (const fact of parser?.end() ?? []) pipeline.push({ kind: 'event', publish: () => events.fact(id, fact) });
      await pipeline.drain();
      if (pipeline.failed) this.stopReason ??= 'output_failed';
      return { end, stopReason: this.stopReason, outputBytes: chunker.emitted, result: parser?.result, startedAt: this.startedAt };
    } finally {
      release();
      chunker.dispose();
    }
  }

  /** Timeout, cancellation from elsewhere (polled), and shutdown; returns their undoing. */
  private watch(signal: AbortSignal): () => void {
    const { timeoutMs, cancelPollMs } = this.deps.options;
    const timeout = setTimeout(() => this.stop('timed_out'), timeoutMs);
    let polling = false;
    const poll = setInterval(() => {
      if (polling) return;
      polling = true;
      this.deps
        .isCancelled()
        .then((cancelled) => cancelled && this.stop('cancelled'))
        .catch(() => undefined) // the database is away: try again next tick
        .finally(() => (polling = false));
    }, cancelPollMs);
    const onAbort = () => this.stop('interrupted');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return () => {
      clearTimeout(timeout);
      clearInterval(poll);
      signal.removeEventListener('abort', onAbort);
    };
  }
}
