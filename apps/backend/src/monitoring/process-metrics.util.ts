import { collectDefaultMetrics, Gauge, type Histogram, type Registry } from 'prom-client';

// prom-client's handle/request/resource gauges: their `type` label set follows Node's internals
// (a series appears whenever some handle type happens to exist at scrape time), and their
// `_total` siblings are gauges, which `promtool check metrics` rejects. One count replaces them.
const REPLACED = [
  'active_handles',
  'active_handles_total',
  'active_requests',
  'active_requests_total',
  'active_resources',
  'active_resources_total',
];
const GC_KINDS = ['major', 'minor', 'incremental', 'weakcb'];

/**
 * prom-client's default process and Node.js metrics under their standard names
 * (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ...), so stock Node.js
 * dashboards and alerts find them, with a fixed set of series.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of REPLACED) registry.removeSingleMetric(`nodejs_${name}`);
  // GC kinds appear on their first collection; create them all up front.
  const gc = registry.getSingleMetric('nodejs_gc_duration_seconds') as
    Histogram<'kind'> | undefined;
  for (const kind of GC_KINDS) gc?.zero({ kind });
  new Gauge({
    name: 'nodejs_active_resources',
    help: 'Resources (handles, requests, timers) keeping the event loop alive.',
    registers: [registry],
    collect() {
      this.set(process.getActiveResourcesInfo().length);
    },
  });
}
