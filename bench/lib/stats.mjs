// Percentiles over samples and over millisecond histograms (sparse: { [ms]: count }).

export { histogramPercentile, median, mergeHistogram, percentile } from '@taskdash/testkit';

export const round = (value, digits = 0) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
