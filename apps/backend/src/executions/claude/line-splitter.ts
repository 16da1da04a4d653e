/** A complete line of stdout: its text, number (from 1) and the log offset of its first byte. */
export interface OutputLine {
  text: string;
  line: number;
  at: number;
  /** The line was longer than the limit; `text` holds only its start. */
  overlong: boolean;
}

/** Longest line kept whole; beyond it the line is reported as overlong (its bytes stay in the log). */
export const MAX_LINE_BYTES = 16 << 20;
/** How much of an overlong line is kept, for its preview. */
const OVERLONG_KEEP = 1024;

/**
 * Splits one fd's chunks into lines. Chunks of one fd are not contiguous in the log (the
 * other fd's bytes sit between them), so each line remembers where its first byte was. A
 * line is decoded only once complete, so a character split across reads is never garbled.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private start = 0;
  private count = 0;
  private overlong = false;

  push(offset: number, bytes: Buffer): OutputLine[] {
    const lines: OutputLine[] = [];
    let from = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, from)) {
      this.append(offset + from, bytes.subarray(from, nl));
      lines.push(this.take());
      from = nl + 1;
    }
    if (from < bytes.length) this.append(offset + from, bytes.subarray(from));
    return lines;
  }

  /** The last line, when the output did not end with a newline. */
  end(): OutputLine[] {
    return this.size > 0 || this.overlong ? [this.take()] : [];
  }

  private append(at: number, bytes: Buffer): void {
    if (this.size === 0 && !this.overlong) this.start = at;
    if (this.overlong) return;
    if (this.size + bytes.length > MAX_LINE_BYTES) {
      const keep = Buffer.concat([...this.parts, bytes]).subarray(0, OVERLONG_KEEP);
      this.parts = [Buffer.from(keep)];
      this.size = keep.length;
      this.overlong = true;
      return;
    }
    if (bytes.length > 0) {
      // Copied: the chunk's buffer belongs to the pipeline.
      this.parts.push(Buffer.from(bytes));
      this.size += bytes.length;
    }
  }

  private take(): OutputLine {
    let text = Buffer.concat(this.parts, this.size).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const line: OutputLine = { text, line: ++this.count, at: this.start, overlong: this.overlong };
    this.parts = [];
    this.size = 0;
    this.overlong = false;
    return line;
  }
}
