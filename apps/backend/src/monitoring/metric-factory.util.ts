import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.metric';
import { METRIC_PREFIX } from './metrics.constants';

/** Bucket sets, in base units (seconds, events). */
export const BUCKETS = {
  /** Sub-millisecond to 10 s: publish-to-emit, store writes, permission changes. */
  latency: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  /** Queue bridge lag can legitimately reach a minute. */
  lag: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  /** Cost of one health sample: it should stay well under a millisecond. */
  sample: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
  batch: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
} as const;

/** Creates metrics on one registry, every name under `METRIC_PREFIX`. */
export class MetricFactory {
  constructor(private readonly registry: Registry) {}

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (this: Gauge<L>) => void,
  ): Gauge<L> {
    return new Gauge<L>({
      name: METRIC_PREFIX + name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect ? { collect } : {}),
    });
  }

  histogram<L extends string = never>(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram<L>({
      name: METRIC_PREFIX + name,
      help,
      buckets: [...buckets],
      labelNames,
      registers: [this.registry],
    });
  }

  /** A label-less histogram for per-event observations (see `BucketHistogram`). */
  bucketHistogram(name: string, help: string, buckets: readonly number[]): BucketHistogram {
    return new BucketHistogram(METRIC_PREFIX + name, help, buckets, this.registry);
  }
}

/** Creates the series of every label value up front, so the series count never changes at run time. */
export function preset<L extends string>(
  metric: Counter<L> | Gauge<L>,
  label: L,
  values: Iterable<string>,
): void {
  for (const value of values) metric.inc({ [label]: value } as Partial<Record<L, string>>, 0);
}

export function presetHistogram<L extends string>(
  metric: Histogram<L>,
  label: L,
  values: Iterable<string>,
): void {
  for (const value of values) metric.zero({ [label]: value } as Partial<Record<L, string>>);
}
