import type { Metric, Registry } from 'prom-client';

/** One exposed sample, as prom-client's registry formats it. */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** What the registry reads from a metric (prom-client's own typing of it is not exported). */
export interface HistogramValues {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/**
 * A label-less Prometheus histogram for the event path, where one observation is made per
 * event: prom-client's `Histogram.observe` validates labels, hashes them and allocates a
 * closure on every call (~160 ns here), this one finds a bucket and adds (~10 ns). It is
 * registered on a prom-client registry like any metric, and its exposition is the same as
 * a prom-client `Histogram` with the same name, help and buckets fed the same values
 * (`bucket-histogram.metric.test.ts` checks that).
 */
export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly upperBounds: readonly number[];
  /** Per bucket, not cumulative; the last one is `+Inf`. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.upperBounds = [...buckets].sort((a, b) => a - b);
    this.counts = new Float64Array(this.upperBounds.length + 1);
    // prom-client's registry reads a metric through `name`, `help`, `type`, `get()` and
    // `reset()` only; it has no interface for metrics it did not create.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  get(): HistogramValues {
    const bucket = `${this.name}_bucket`;
    const values: Sample[] = [];
    let cumulative = 0;
    this.upperBounds.forEach((le, i) => {
      cumulative += this.counts[i]!;
      values.push({ labels: { le }, value: cumulative, metricName: bucket });
    });
    values.push(
      { labels: { le: '+Inf' }, value: this.count, metricName: bucket },
      { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
      { labels: {}, value: this.count, metricName: `${this.name}_count` },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
