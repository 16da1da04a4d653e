import { safeCut } from './output-boundary.util';

/** 1: stdout, 2: stderr, as the process wrote them. */
export type Fd = 1 | 2;

/** Bytes `[offset, offset + bytes.length)` of the execution's log, written on `fd`. */
export interface OutputChunk {
  fd: Fd;
  offset: number;
  bytes: Buffer;
}

export interface ChunkerOptions {
  /** Largest chunk in bytes. */
  chunkBytes: number;
  /** Longest a byte waits for company before its chunk is emitted, in ms. */
  windowMs: number;
}

/** `full`: whole chunks only; `ready`: every byte that may be cut; `final`: everything. */
type CutMode = 'full' | 'ready' | 'final';

interface Pending {
  parts: Buffer[];
  size: number;
  /** When the oldest pending byte arrived (ms), for ordering the two fds fairly. */
  since: number;
}

/**
 * Turns a process's reads into the chunks of its log. Reads are coalesced until a chunk is
 * full or `windowMs` passes, whichever comes first (Centrifugo's streaming advice: a few
 * tokens per message, not one message per token). Each chunk is cut where it splits no UTF-8
 * character and no escape sequence; the rest waits for the bytes that complete it. stdout
 * and stderr share one offset sequence: before one fd's bytes are taken, the other's ready
 * bytes are emitted, so the log keeps the order in which output arrived.
 */
export class OutputChunker {
  private offset = 0;
  private readonly pending: Record<Fd, Pending> = {
    1: { parts: [], size: 0, since: 0 },
    2: { parts: [], size: 0, since: 0 },
  };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ChunkerOptions,
    private readonly emit: (chunk: OutputChunk) => void,
  ) {}

  /** Bytes emitted so far: the log offset of the next chunk. */
  get emitted(): number {
    return this.offset;
  }

  push(fd: Fd, data: Buffer): void {
    if (data.length === 0) return;
    const other: Fd = fd === 1 ? 2 : 1;
    if (this.pending[other].size > 0) this.cut(other, 'ready');
    const own = this.pending[fd];
    if (own.size === 0) own.since = Date.now();
    own.parts.push(data);
    own.size += data.length;
    if (own.size >= this.options.chunkBytes) this.cut(fd, 'full');
    this.arm();
  }

  /** Emits everything still pending, complete or not (the process has ended). */
  end(): void {
    this.disarm();
    for (const fd of this.byAge()) this.cut(fd, 'final');
  }

  /** Stops the window timer without emitting (the execution is being torn down). */
  dispose(): void {
    this.disarm();
  }

  private byAge(): Fd[] {
    return this.pending[1].since <= this.pending[2].since ? [1, 2] : [2, 1];
  }

  /** Emits bytes of `fd` in chunks of at most `chunkBytes`, as `mode` allows. */
  private cut(fd: Fd, mode: CutMode): void {
    const pending = this.pending[fd];
    if (pending.size === 0) return;
    const { chunkBytes } = this.options;
    const all = pending.parts.length === 1 ? pending.parts[0]! : Buffer.concat(pending.parts, pending.size);
    let start = 0;
    while (start < all.length && (mode !== 'full' || all.length - start >= chunkBytes)) {
      const window = all.subarray(start, Math.min(all.length, start + chunkBytes));
      let cut = mode === 'final' ? window.length : safeCut(window, window.length);
      // A whole chunk of one open sequence cannot be a real one: cut it like text.
      if (cut === 0 && window.length === chunkBytes) cut = window.length;
      if (cut === 0) break;
      this.emit({ fd, offset: this.offset, bytes: window.subarray(0, cut) });
      this.offset += cut;
      start += cut;
    }
    // The held tail is copied so the emitted chunks do not pin a larger buffer.
    const rest = start < all.length ? Buffer.from(all.subarray(start)) : undefined;
    pending.parts = rest ? [rest] : [];
    pending.size = rest?.length ?? 0;
  }

  private arm(): void {
    if (this.timer || (this.pending[1].size === 0 && this.pending[2].size === 0)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const fd of this.byAge()) this.cut(fd, 'ready');
      // What is still held waits for the bytes that complete it (or for `end`).
    }, this.options.windowMs);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
