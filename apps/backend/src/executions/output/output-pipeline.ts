import { Logger } from '@nestjs/common';
import type { ExecutionOutputStore } from './execution-output.store';
import type { OutputChunk } from './output-chunker';

/** What the pipeline publishes, in order: an output chunk (stored first), or another event. */
export type PipelineItem = { kind: 'output'; chunk: OutputChunk } | { kind: 'event'; publish: () => Promise<unknown> };

/** Pauses and resumes the process's pipes, so a producer faster than storage waits in the kernel. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

export interface PipelineOptions {
  /** Output bytes accepted and not yet published; above it the process is paused. */
  inflightBytes: number;
  /** How long a failing output store is retried before the execution fails. @default 60000 */
  storeTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The ordered path of one execution's events: output chunks are stored in the output log
 * first (one INSERT per batch), then every item is handed to the publisher in the order it
 * was pushed, so a viewer never sees bytes that the HTTP API could not serve, and a parsed
 * line's event never precedes the output that completes it. Storing batch N+1 overlaps
 * publishing batch N. The window of unpublished bytes bounds memory: beyond it the process
 * is paused (its writes block in the pipe) until publishing catches up.
 */
export class OutputPipeline {
  private readonly logger = new Logger(OutputPipeline.name);
  private queue: PipelineItem[] = [];
  private running: Promise<void> | undefined;
  private readonly publishing = new Set<Promise<unknown>>();
  private inflight = 0;
  private paused = false;
  private failure: Error | undefined;
  /** Events the publisher refused or could not store; their bytes are in the output log. */
  lostEvents = 0;

  constructor(
    private readonly executionId: string,
    private readonly store: ExecutionOutputStore,
    private readonly publishOutput: (chunk: OutputChunk) => Promise<unknown>,
    private readonly flow: FlowControl,
    private readonly options: PipelineOptions,
  ) {}

  /** Set once the output log could not be written for `storeTimeoutMs`; nothing more is taken. */
  get failed(): Error | undefined {
    return this.failure;
  }

  push(item: PipelineItem): void {
    if (this.failure) return;
    this.queue.push(item);
    if (item.kind === 'output') {
      this.inflight += item.chunk.bytes.length;
      if (!this.paused && this.inflight >= this.options.inflightBytes) {
        this.paused = true;
        this.flow.pause();
      }
    }
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Resolves once everything pushed so far is stored and published (or the pipeline failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    await Promise.all(this.publishing);
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.queue;
      this.queue = [];
      const chunks = batch.flatMap((item) => (item.kind === 'output' ? [item.chunk] : []));
      try {
        await this.storeWithRetry(chunks);
      } catch (error) {
        this.failure = error as Error;
        this.queue = [];
        this.flow.resume(); // let the process's output drain away; the runner stops it
        return;
      }
      // Handed to the publisher in push order, without waiting for earlier batches: it
      // group-commits whatever arrives while it writes, so storing and publishing overlap.
      for (const item of batch) {
        const published = item.kind === 'output' ? this.publishChunk(item.chunk) : this.settle(item.publish());
        this.publishing.add(published);
        void published.finally(() => this.publishing.delete(published));
      }
    }
  }

  private async publishChunk(chunk: OutputChunk): Promise<void> {
    if (!(await this.settle(this.publishOutput(chunk)))) {
      // Its event is lost, and a crash may have taken its row (stored without waiting for the
      // WAL flush, see ExecutionOutputStore.append) too: store it again (idempotent).
      await this.storeWithRetry([chunk]).catch((error: Error) => (this.failure ??= error));
    }
    this.release(chunk.bytes.length);
  }

  /** True when published; a failure is logged and counted, never thrown. */
  private async settle(publish: Promise<unknown>): Promise<boolean> {
    try {
      await publish;
      return true;
    } catch (error) {
      this.lostEvents++;
      this.logger.warn({ msg: 'execution event not published', executionId: this.executionId, error: (error as Error).message });
      return false;
    }
  }

  private release(bytes: number): void {
    this.inflight -= bytes;
    if (this.paused && this.inflight < this.options.inflightBytes / 2) {
      this.paused = false;
      this.flow.resume();
    }
  }

  private async storeWithRetry(chunks: OutputChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    const deadline = Date.now() + (this.options.storeTimeoutMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.append(this.executionId, chunks);
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        this.logger.warn({ msg: 'output store write failed; retrying', executionId: this.executionId, attempt, error: (error as Error).message });
        await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
