/**
 * A contiguous byte range `[start, end)` of an execution's output log, assembled from live
 * `execution.output` chunks and HTTP backfills. Offsets are the log's own, so a chunk seen
 * twice, or overlapping what is already here, adds only its new bytes.
 */
export class OutputLog {
  private chunks: Uint8Array[] = [];
  private first = 0;
  private last = 0;

  get start(): number {
    return this.first;
  }

  get end(): number {
    return this.last;
  }

  /** Starts over, empty, at `offset`. */
  reset(offset: number): void {
    this.chunks = [];
    this.first = this.last = offset;
  }

  /**
   * Adds bytes at `offset`. Returns the bytes that were new (possibly none), or `gap` when
   * `offset` lies beyond the end: the bytes in between must come first.
   */
  append(offset: number, bytes: Uint8Array): Uint8Array | 'gap' {
    if (offset > this.last) return 'gap';
    const fresh = bytes.subarray(Math.min(bytes.length, this.last - offset));
    if (fresh.length > 0) {
      this.chunks.push(fresh);
      this.last += fresh.length;
    }
    return fresh;
  }

  /** Adds bytes `[offset, offset + bytes.length)` that end at or after `start`, before it. */
  prepend(offset: number, bytes: Uint8Array): void {
    if (offset >= this.first) return;
    const keep = bytes.subarray(0, Math.min(bytes.length, this.first - offset));
    if (offset + keep.length < this.first) throw new RangeError('prepended bytes must reach the start of the log');
    this.chunks.unshift(keep);
    this.first = offset;
  }

  /** Everything in the log, in order. */
  bytes(): Uint8Array {
    const all = new Uint8Array(this.last - this.first);
    let at = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return all;
  }
}
