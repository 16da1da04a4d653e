import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { concreteExpr, loadDashboard } from '../../../../test/grafana-dashboard';
import { collectProcessMetrics } from './process-metrics.util';
import { WebsocketMetricsService } from './websocket-metrics.service';

const dashboard = loadDashboard();
const exprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
const referenced = new Set(
  exprs.flatMap(({ expr }) =>
    [...expr.matchAll(/\b(taskdash|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')),
  ),
);

function registeredNames(): { custom: string[]; all: Set<string> } {
  const registry = new Registry();
  const custom = new WebsocketMetricsService(registry).registry.getMetricsAsArray().map((m) => m.name);
  collectProcessMetrics(registry);
  return { custom, all: new Set(registry.getMetricsAsArray().map((m) => m.name)) };
}

describe('ops/grafana/dashboard.json', () => {
  it('refers only to metrics the backend exports', () => {
    const { all } = registeredNames();
    expect([...referenced].filter((name) => !all.has(name))).toEqual([]);
  });

  it('has a panel for every metric of the real-time layer, and says what each panel means', () => {
    const { custom } = registeredNames();
    expect(custom.filter((name) => !referenced.has(name))).toEqual([]);
    for (const panel of dashboard.panels.filter((p) => p.targets))
      expect(panel.description?.length ?? 0).toBeGreaterThan(20);
  });

  it('has PromQL that promtool parses', () => {
    // Grafana's variables replaced by what Prometheus would see.
    const concrete = (expr: string) => concreteExpr(expr, { rateInterval: '5m', range: '1h' });
    const rules = exprs.map(
      ({ expr }, i) =>
        `      - record: taskdash:panel_${i}\n        expr: '${concrete(expr).replace(/'/g, "''")}'`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    try {
      writeFileSync(
        join(dir, 'rules.yml'),
        `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`,
      );
      const run = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
      if (run.error) throw new Error(`promtool is needed (Debian package prometheus): ${run.error.message}`);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
