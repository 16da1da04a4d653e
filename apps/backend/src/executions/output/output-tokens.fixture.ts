import fc from 'fast-check';

/**
 * Output built from atomic tokens (an ASCII character, a UTF-8 character of 2 to 4 bytes, a
 * complete escape sequence): the only places output may be cut are between tokens.
 */
export const ATOMS = {
  ascii: ['a', 'Z', ' ', '\n', '\t', '[', 'm', '\\', '7', ']'],
  multibyte: ['é', '→', '÷', '€', '中', '😀', '🎉', '𝄞'],
  escapes: [
    '\x1b[31m',
    '\x1b[0m',
    '\x1b[1;38;5;208m',
    '\x1b[2K',
    '\x1b[?25l',
    '\x1b]0;title ✓\x07',
    '\x1b]8;;https://example.com\x1b\\',
    '\x1b(B',
    '\x1b7',
    '\x1bc',
  ],
};

const token = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ATOMS.ascii) },
  { weight: 3, arbitrary: fc.constantFrom(...ATOMS.multibyte) },
  { weight: 2, arbitrary: fc.constantFrom(...ATOMS.escapes) },
);

export const tokens = (maxLength = 200) => fc.array(token, { minLength: 1, maxLength });

/** The bytes of `parts` and the byte positions between tokens (0 and the end included). */
export function layout(parts: string[]): { bytes: Buffer; boundaries: Set<number> } {
  const boundaries = new Set<number>([0]);
  let at = 0;
  for (const part of parts) {
    at += Buffer.byteLength(part);
    boundaries.add(at);
  }
  return { bytes: Buffer.from(parts.join('')), boundaries };
}

/** Splits `bytes` at the given (sorted, deduplicated, inner) positions. */
export function splitAt(bytes: Buffer, positions: number[]): Buffer[] {
  const cuts = [...new Set(positions.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
  const reads: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    reads.push(bytes.subarray(from, cut));
    from = cut;
  }
  return reads;
}
