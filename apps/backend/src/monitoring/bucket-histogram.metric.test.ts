import { Histogram, Registry } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.metric';

const BOUNDS = [0.001, 0.01, 0.1, 1, 10];

/** Values on, between, below and above the bounds, in a fixed pseudo-random order. */
function values(n: number): number[] {
  let seed = 7;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const picks = [0, ...BOUNDS, 0.0005, 0.05, 5, 100, 1e6];
  return Array.from({ length: n }, (_, i) => (i % 3 === 0 ? picks[i % picks.length]! : next() * 20));
}

describe('BucketHistogram', () => {
  it('exposes exactly what a prom-client Histogram fed the same values exposes', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new BucketHistogram('t_seconds', 'A test histogram.', BOUNDS, ours);
    const reference = new Histogram({
      name: 't_seconds',
      help: 'A test histogram.',
      buckets: BOUNDS,
      registers: [theirs],
    });
    for (const value of values(5000)) {
      fast.observe(value);
      reference.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client adds empty exemplar fields (this histogram has no exemplars); the rest is equal.
    const samples = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).map((m) => ({
        ...m,
        values: m.values.map((v) => ({
          labels: v.labels,
          value: v.value,
          metricName: (v as { metricName?: string }).metricName,
        })),
      }));
    expect(await samples(ours)).toEqual(await samples(theirs));
  });

  it('is empty like a fresh prom-client Histogram, and the registry resets it', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new BucketHistogram('t_seconds', 'h', BOUNDS, ours);
    new Histogram({ name: 't_seconds', help: 'h', buckets: BOUNDS, registers: [theirs] });
    fast.observe(0.5);
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('ignores values that are not finite numbers instead of corrupting its sum', async () => {
    const registry = new Registry();
    const fast = new BucketHistogram('t_seconds', 'h', BOUNDS, registry);
    fast.observe(Number.NaN);
    fast.observe(Number.POSITIVE_INFINITY);
    fast.observe(0.05);
    const text = await registry.metrics();
    expect(text).toContain('t_seconds_count 1');
    expect(text).toContain('t_seconds_sum 0.05');
  });

  it('refuses a second metric of the same name, as the registry does for its own', () => {
    const registry = new Registry();
    new BucketHistogram('t_seconds', 'h', BOUNDS, registry);
    expect(() => new Histogram({ name: 't_seconds', help: 'h', registers: [registry] })).toThrow(
      /already been registered/,
    );
  });
});
