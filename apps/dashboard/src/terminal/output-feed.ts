import { OutputLog } from './output-log';

/** Where the feed writes: the terminal, or a test double. */
export interface OutputSink {
  write(bytes: Uint8Array): void;
  /** Clears the screen and the scrollback. */
  clear(): void;
}

/** Wait before asking again when the server had none of the missing bytes yet. */
const REFILL_DELAY_MS = 250;

/** Fetches bytes `[from, to)` of the log over HTTP. */
export type RangeFetcher = (from: number, to: number) => Promise<Uint8Array>;

/**
 * Feeds a terminal the output of one execution, exactly once and in order: live chunks are
 * written as they continue the log; a chunk past the end (missed while paused, skipped for a
 * slow connection, or lost) makes it fetch the hole over HTTP first; earlier output is
 * fetched on request and the screen rewritten with it.
 */
export class OutputFeed {
  readonly log = new OutputLog();
  private readonly pending = new Map<number, Uint8Array>();
  private started = false;
  private filling: Promise<void> | undefined;

  constructor(
    private readonly sink: OutputSink,
    private readonly fetchRange: RangeFetcher,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  get isStarted(): boolean {
    return this.started;
  }

  /** The first bytes, from a tail fetch: the log starts at `offset`. Live chunks seen before are applied after. */
  begin(offset: number, bytes: Uint8Array): void {
    this.started = true;
    this.log.reset(offset);
    this.push(offset, bytes);
    this.drain();
  }

  /** A live chunk (or a backfilled one) at `offset`. */
  push(offset: number, bytes: Uint8Array): void {
    if (!this.started) {
      this.pending.set(offset, bytes);
      return;
    }
    const fresh = this.log.append(offset, bytes);
    if (fresh === 'gap') {
      this.pending.set(offset, bytes);
      this.fill();
      return;
    }
    if (fresh.length > 0) this.sink.write(fresh);
    if (this.pending.size > 0) this.drain();
  }

  /** The server jumped ahead (a `tail`): output continues at `offset`, what lies between is skipped. */
  jumpTo(offset: number, notice: Uint8Array): void {
    if (offset <= this.log.end) return;
    for (const key of [...this.pending.keys()]) if (key < offset) this.pending.delete(key);
    this.log.reset(offset);
    this.sink.clear();
    this.sink.write(notice);
  }

  /** Fetches up to `bytes` before the start and rewrites the screen with them; false when at 0 already. */
  async loadEarlier(bytes: number): Promise<boolean> {
    const to = this.log.start;
    if (to === 0) return false;
    const from = Math.max(0, to - bytes);
    const earlier = await this.fetchRange(from, to);
    if (earlier.length < to - from) throw new Error(`expected ${to - from} bytes of earlier output, got ${earlier.length}`);
    this.log.prepend(from, earlier);
    this.sink.clear();
    this.sink.write(this.log.bytes());
    return true;
  }

  private drain(): void {
    for (;;) {
      const offsets = [...this.pending.keys()].sort((a, b) => a - b);
      const next = offsets.find((offset) => offset <= this.log.end);
      if (next === undefined) break;
      const bytes = this.pending.get(next)!;
      this.pending.delete(next);
      const fresh = this.log.append(next, bytes);
      if (fresh !== 'gap' && fresh.length > 0) this.sink.write(fresh);
    }
    if (this.pending.size > 0) this.fill();
  }

  /** Fetches the hole between the end of the log and the first pending chunk, once at a time. */
  private fill(): void {
    if (this.filling) return;
    const target = Math.min(...this.pending.keys());
    const from = this.log.end;
    this.filling = this.fetchRange(from, target)
      .then((bytes) => {
        this.filling = undefined;
        if (bytes.length > 0) this.push(from, bytes);
        else setTimeout(() => this.drain(), REFILL_DELAY_MS);
      })
      .catch((error: unknown) => {
        this.filling = undefined;
        this.onError(error);
      });
  }
}
