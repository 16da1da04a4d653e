import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GrafanaTarget {
  refId: string;
  expr: string;
  /** Grafana asks Prometheus for one value (`/api/v1/query`) instead of a range. */
  instant?: boolean;
}

export interface GrafanaPanel {
  title: string;
  type: string;
  description?: string;
  /** Rows have none. */
  targets?: GrafanaTarget[];
}

export const DASHBOARD_PATH = join(__dirname, '../ops/grafana/dashboard.json');

export function loadDashboard(): { panels: GrafanaPanel[] } {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as { panels: GrafanaPanel[] };
}

/**
 * A target's PromQL as Grafana sends it: `$__rate_interval` and `$__range` replaced by the
 * given durations, `$job` and `$instance` by the "All" value of their variables (`.*`).
 */
export function concreteExpr(expr: string, durations: { rateInterval: string; range: string }): string {
  return expr
    .replace(/\$__rate_interval/g, durations.rateInterval)
    .replace(/\$__range/g, durations.range)
    .replace(/\$(job|instance)\b/g, '.*');
}
