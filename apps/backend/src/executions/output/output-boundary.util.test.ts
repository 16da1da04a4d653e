import fc from 'fast-check';
import { MAX_HELD_SEQUENCE, safeCut } from './output-boundary.util';
import { layout, tokens } from './output-tokens.fixture';

const cutOf = (text: string, end?: number) => {
  const bytes = Buffer.from(text);
  return safeCut(bytes, end ?? bytes.length);
};

describe('safeCut', () => {
  it('never cuts inside a 4-byte emoji', () => {
    // 'ab' then 😀 (F0 9F 98 80)
    expect([2, 3, 4, 5, 6].map((end) => cutOf('ab😀', end))).toEqual([2, 2, 2, 2, 6]);
  });

  it('never cuts inside \\x1b[31m', () => {
    const text = 'x\x1b[31mred';
    expect([1, 2, 3, 4, 5, 6, 9].map((end) => cutOf(text, end))).toEqual([1, 1, 1, 1, 1, 6, 9]);
  });

  it('waits for the end of an OSC string, whether BEL or ST ends it', () => {
    expect(cutOf('a\x1b]0;tit')).toBe(1);
    expect(cutOf('a\x1b]0;title\x07')).toBe(11);
    expect(cutOf('a\x1b]8;;https://x\x1b')).toBe(1); // ESC of the ST has arrived, its `\` not yet
    expect(cutOf('a\x1b]8;;https://x\x1b\\b')).toBe(18);
  });

  it('holds a lone trailing ESC and a half-written nF sequence', () => {
    expect(cutOf('ab\x1b')).toBe(2);
    expect(cutOf('ab\x1b(')).toBe(2);
    expect(cutOf('ab\x1b(B')).toBe(5);
  });

  it('treats a sequence aborted by a foreign byte as ended, so nothing is held forever', () => {
    expect(cutOf('\x1b[31\nrest')).toBe(9);
  });

  it('does not wait for an unterminated string longer than the hold limit', () => {
    const text = `\x1b]0;${'x'.repeat(MAX_HELD_SEQUENCE + 10)}`;
    expect(cutOf(text)).toBe(Buffer.byteLength(text));
  });

  it('cuts stray continuation bytes and invalid leads like text (they never become valid)', () => {
    expect(safeCut(Buffer.from([0x61, 0x80, 0x80]), 3)).toBe(3);
    expect(safeCut(Buffer.from([0x61, 0xff]), 2)).toBe(2);
  });

  it('returns the last token boundary at or before any end, for any mix of text, characters and sequences', () => {
    fc.assert(
      fc.property(tokens(), (parts) => {
        const { bytes, boundaries } = layout(parts);
        for (let end = 0; end <= bytes.length; end++) {
          let expected = end;
          while (!boundaries.has(expected)) expected--;
          expect(safeCut(bytes, end)).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
