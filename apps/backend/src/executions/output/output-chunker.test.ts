import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { OutputChunker, type Fd, type OutputChunk } from './output-chunker';
import { layout, splitAt, tokens } from './output-tokens.fixture';

function chunkerInto(chunks: OutputChunk[], chunkBytes = 16, windowMs = 25): OutputChunker {
  return new OutputChunker({ chunkBytes, windowMs }, (chunk) => chunks.push({ ...chunk, bytes: Buffer.from(chunk.bytes) }));
}

const bytesOf = (chunks: OutputChunk[], fd?: Fd) =>
  Buffer.concat(chunks.filter((c) => fd === undefined || c.fd === fd).map((c) => c.bytes));

describe('OutputChunker', () => {
  afterEach(() => jest.useRealTimers());

  it('holds back half an emoji and half of \\x1b[31m until the read that completes them', () => {
    jest.useFakeTimers();
    const chunks: OutputChunk[] = [];
    const chunker = chunkerInto(chunks, 1024, 25);
    const text = Buffer.from('ok 😀 \x1b[31mred\x1b[0m');
    // Reads end inside the emoji (after its 2nd byte) and inside the CSI (after `\x1b[3`).
    chunker.push(1, text.subarray(0, 5));
    jest.advanceTimersByTime(25);
    chunker.push(1, text.subarray(5, 10));
    jest.advanceTimersByTime(25);
    chunker.push(1, text.subarray(10));
    jest.advanceTimersByTime(25);
    expect(chunks.map((c) => c.bytes.toString())).toEqual(['ok ', '😀 ', '\x1b[31mred\x1b[0m']);
    expect(chunks.map((c) => c.offset)).toEqual([0, 3, 8]);
  });

  it('coalesces small reads until the window passes, then emits them as one chunk', () => {
    jest.useFakeTimers();
    const chunks: OutputChunk[] = [];
    const chunker = chunkerInto(chunks, 1024, 25);
    for (const part of ['a', 'b', 'c']) chunker.push(1, Buffer.from(part));
    jest.advanceTimersByTime(24);
    expect(chunks).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(chunks.map((c) => c.bytes.toString())).toEqual(['abc']);
  });

  it('emits full chunks at once and leaves the remainder to the window', () => {
    jest.useFakeTimers();
    const chunks: OutputChunk[] = [];
    const chunker = chunkerInto(chunks, 4, 25);
    chunker.push(1, Buffer.from('abcdefghij'));
    expect(chunks.map((c) => c.bytes.toString())).toEqual(['abcd', 'efgh']);
    jest.advanceTimersByTime(25);
    expect(chunks.map((c) => c.bytes.toString())).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('keeps the arrival order of stdout and stderr in one offset sequence', () => {
    const chunks: OutputChunk[] = [];
    const chunker = chunkerInto(chunks, 1024, 25);
    chunker.push(1, Buffer.from('out1 '));
    chunker.push(2, Buffer.from('err1 '));
    chunker.push(1, Buffer.from('out2'));
    chunker.end();
    expect(chunks.map((c) => [c.fd, c.offset, c.bytes.toString()])).toEqual([
      [1, 0, 'out1 '],
      [2, 5, 'err1 '],
      [1, 10, 'out2'],
    ]);
  });

  it('emits what is still held when the process ends, even an unfinished sequence', () => {
    const chunks: OutputChunk[] = [];
    const chunker = chunkerInto(chunks, 1024, 25);
    chunker.push(1, Buffer.from('done\x1b['));
    chunker.end();
    expect(bytesOf(chunks).toString()).toBe('done\x1b[');
  });

  it('for any reads of interleaved stdout and stderr: exact bytes per fd, contiguous offsets, and no chunk splits a character or a sequence', () => {
    fc.assert(
      fc.property(
        tokens(),
        tokens(),
        fc.array(fc.nat(4000), { maxLength: 60 }),
        fc.array(fc.nat(4000), { maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 32, max: 256 }),
        (outParts, errParts, outCuts, errCuts, order, chunkBytes) => {
          const out = layout(outParts);
          const err = layout(errParts);
          const reads: Record<Fd, Buffer[]> = { 1: splitAt(out.bytes, outCuts), 2: splitAt(err.bytes, errCuts) };
          const chunks: OutputChunk[] = [];
          const chunker = chunkerInto(chunks, chunkBytes);
          for (let i = 0; reads[1].length + reads[2].length > 0; i++) {
            const wanted: Fd = order[i % order.length] ? 1 : 2;
            const fd: Fd = reads[wanted].length > 0 ? wanted : wanted === 1 ? 2 : 1;
            chunker.push(fd, reads[fd].shift()!);
          }
          chunker.end();
          expect(bytesOf(chunks, 1)).toEqual(out.bytes);
          expect(bytesOf(chunks, 2)).toEqual(err.bytes);
          let offset = 0;
          const seen: Record<Fd, number> = { 1: 0, 2: 0 };
          for (const chunk of chunks) {
            expect(chunk.offset).toBe(offset);
            expect(chunk.bytes.length).toBeGreaterThan(0);
            expect(chunk.bytes.length).toBeLessThanOrEqual(chunkBytes);
            expect(isUtf8(chunk.bytes)).toBe(true);
            offset += chunk.bytes.length;
            seen[chunk.fd] += chunk.bytes.length;
            expect((chunk.fd === 1 ? out : err).boundaries.has(seen[chunk.fd])).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
