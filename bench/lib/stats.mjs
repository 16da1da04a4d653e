// Percentiles over samples and over millisecond histograms (sparse: { [ms]: count }).

/** Nearest-rank percentile of `values` (need not be sorted); NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Adds sparse histogram `from` into `into` (both `{ [ms]: count }`). */
export function mergeHistogram(into, from) {
  for (const [bucket, count] of Object.entries(from)) into[bucket] = (into[bucket] ?? 0) + count;
  return into;
}

/** Nearest-rank percentile of a sparse millisecond histogram; NaN when empty. */
export function histogramPercentile(histogram, p) {
  const buckets = Object.entries(histogram)
    .map(([bucket, count]) => [Number(bucket), count])
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucket;
  }
  return buckets[buckets.length - 1][0];
}

export function median(values) {
  return percentile(values, 50);
}

export const round = (value, digits = 0) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
