/** Position before every entry of a Redis stream. */
export const STREAM_START = '0-0';

/** Orders two Redis stream entry ids (`<ms>-<n>`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0n, an = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bn = 0n] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  return an === bn ? 0 : an < bn ? -1 : 1;
}

/** The Redis server time (ms) at which the entry was added. */
export const streamIdTime = (id: string): number => Number(id.split('-')[0]);

