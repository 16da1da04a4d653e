/** Nearest-rank percentile of `values` (need not be sorted); `empty` when there are none. */
export function percentile(values: readonly number[], p: number, empty = Number.NaN): number {
  if (values.length === 0) return empty;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** A sparse millisecond histogram: `{ [ms]: count }`. */
export type MsHistogram = Record<string, number>;

/** Adds `from` into `into`. */
export function mergeHistogram(into: MsHistogram, from: Readonly<MsHistogram>): MsHistogram {
  for (const [bucket, count] of Object.entries(from)) into[bucket] = (into[bucket] ?? 0) + count;
  return into;
}

/** Nearest-rank percentile of a sparse millisecond histogram; NaN when empty. */
export function histogramPercentile(histogram: Readonly<MsHistogram>, p: number): number {
  const buckets = Object.entries(histogram)
    .map(([bucket, count]) => [Number(bucket), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucket;
  }
  return buckets[buckets.length - 1]![0];
}

/** mulberry32: a small seeded PRNG, so that a randomized run can be repeated from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
