const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const INCOMPLETE = -1;

/**
 * Longest escape sequence a cut waits for. An unterminated "sequence" longer than this is
 * not one a terminal would render (or the process died mid-way): it is cut like text, so
 * held-back bytes stay bounded.
 */
export const MAX_HELD_SEQUENCE = 4096;

/** True for the introducers of string sequences: OSC `]`, DCS `P`, SOS `X`, PM `^`, APC `_`. */
const isStringIntroducer = (byte: number): boolean =>
  byte === 0x5d || byte === 0x50 || byte === 0x58 || byte === 0x5e || byte === 0x5f;

/** End of a CSI (`ESC [ params intermediates final`) starting at `j` (after `[`). */
function csiEnd(buf: Uint8Array, j: number, limit: number): number {
  for (; j < limit; j++) {
    const c = buf[j]!;
    if (c >= 0x40 && c <= 0x7e) return j + 1;
    if (c < 0x20 || c > 0x3f) return j; // not a CSI byte: the sequence was aborted here
  }
  return INCOMPLETE;
}

/** End of an OSC/DCS/... string starting at `j`: BEL, ST (`ESC \`), CAN or SUB end it. */
function stringEnd(buf: Uint8Array, j: number, limit: number): number {
  for (; j < limit; j++) {
    const c = buf[j]!;
    if (c === BEL || c === CAN || c === SUB) return j + 1;
    if (c === ESC) {
      if (j + 1 >= limit) return INCOMPLETE;
      return buf[j + 1] === 0x5c ? j + 2 : j; // ST, or another sequence aborting this one
    }
  }
  return INCOMPLETE;
}

/**
 * Where the escape sequence starting at `start` (an ESC) ends, looking no further than
 * `limit`; INCOMPLETE when it is still open there. ECMA-48 forms: CSI, string sequences,
 * `ESC intermediates final` (nF) and two-byte `ESC x`; anything else ends at once.
 */
export function sequenceEnd(buf: Uint8Array, start: number, limit: number): number {
  const j = start + 1;
  if (j >= limit) return INCOMPLETE;
  const b = buf[j]!;
  if (b === 0x5b) return csiEnd(buf, j + 1, limit);
  if (isStringIntroducer(b)) return stringEnd(buf, j + 1, limit);
  if (b >= 0x20 && b <= 0x2f) {
    for (let k = j + 1; k < limit; k++) {
      const c = buf[k]!;
      if (c >= 0x20 && c <= 0x2f) continue;
      return c >= 0x30 && c <= 0x7e ? k + 1 : k;
    }
    return INCOMPLETE;
  }
  return b >= 0x30 && b <= 0x7e ? j + 1 : j;
}

/** Moves `cut` before an escape sequence still open at it. */
function escapeSafe(buf: Uint8Array, cut: number): number {
  for (;;) {
    const floor = Math.max(0, cut - MAX_HELD_SEQUENCE);
    const esc = floor < cut ? Buffer.from(buf.buffer, buf.byteOffset + floor, cut - floor).lastIndexOf(ESC) : -1;
    if (esc < 0) return cut;
    const at = floor + esc;
    if (sequenceEnd(buf, at, cut) !== INCOMPLETE) return cut;
    // Open at `cut`: cut before it, then look again, since this ESC may be the start of the
    // ST that would have closed an earlier string sequence, which is then open too.
    cut = at;
  }
}

/** Moves `cut` before a UTF-8 character that it would split. */
function utf8Safe(buf: Uint8Array, cut: number): number {
  let lead = cut - 1;
  while (lead >= 0 && lead > cut - 4 && (buf[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0) return cut;
  const byte = buf[lead]!;
  const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  // A stray continuation byte or a malformed lead cannot become valid by waiting: cut anyway.
  if (byte >= 0xf8 || (byte & 0xc0) === 0x80) return cut;
  return cut - lead < size ? lead : cut;
}

/**
 * The largest `c <= end` at which `buf` may be cut: bytes `[0, c)` end neither inside a
 * UTF-8 character nor inside an ANSI escape sequence (GitLab-style logs render from any
 * chunk, so a chunk must never start mid-character or mid-sequence). Returns 0 when
 * everything before `end` must wait for more bytes.
 */
export function safeCut(buf: Uint8Array, end: number): number {
  // Escape sequences are ASCII, so the UTF-8 step can only move the cut further back into
  // plain text, never into a sequence.
  return utf8Safe(buf, escapeSafe(buf, end));
}
