import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_STREAM, taskStream } from '@taskdash/contract';
import { expectEventually } from '../../../../test/eventually';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { BACKLOG_ALERT_ENV } from '../../test/backlog-alert.env';
import { EventStore } from '../events/event-store';
import { QueueBridge } from '../queue/bridge/queue-bridge.service';
import { ExecutionsQueue } from '../queue/executions-queue.service';
import { SIMULATED_JOB } from '../queue/handlers/simulated-job.handler';

const ROOT = join(__dirname, '../../../..');
const BULLMQ_LINT =
  'bullmq_job_count non-histogram and non-summary metrics should not have "_count" suffix\n';

/** `name{labels}` -> value, for every sample line (BullMQ writes `, ` between labels). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut).replace(/, /g, ','), Number(line.slice(cut + 1)));
  }
  return out;
}
const familyOf = (series: string) => series.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '');
const sum = (all: Map<string, number>, prefix: string) =>
  [...all].filter(([series]) => series.startsWith(prefix)).reduce((total, [, value]) => total + value, 0);

async function scrape(t: TestApp): Promise<string> {
  const response = await fetch(`${t.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The metric names a set of PromQL expressions reads. */
function metricsIn(exprs: string[]): Set<string> {
  const names = exprs.flatMap((expr) =>
    [...expr.matchAll(/\b(taskdash_|process_|nodejs_|bullmq_)[a-z0-9_]+/g)].map((m) => familyOf(m[0])),
  );
  return new Set(names);
}

/**
 * What an operator sees must be true: jobs run through the real queue and worker, the bridge
 * publishes their events, and every series the Grafana dashboard and the Prometheus rules read
 * then has data on /metrics, the two queue panels included (they had none).
 */
describe('operator metrics, fed by a real workload', () => {
  let t: TestApp;
  let text: string;
  let all: Map<string, number>;
  /** Jobs waiting by BullMQ's own count (stable: the queue is paused). */
  let waiting: number;

  beforeAll(async () => {
    t = await startTestApp({
      redis: true,
      env: {
        ...BACKLOG_ALERT_ENV,
      },
    });
    await expectEventually(() => expect(t.app.get(QueueBridge).isLeader).toBe(true));
    const queue = t.app.get(ExecutionsQueue);
    const store = t.app.get(EventStore);
    const taskId = ((await t.http('POST', '/tasks', 'otto', { title: 'ops' })).body as { id: string }).id;
    await t.http('GET', `/tasks/${taskId}`, 'otto');
    await t.http('GET', '/no-such-route', 'otto');
    await Promise.all(Array.from({ length: 6 }, () => queue.add(SIMULATED_JOB, { taskId, steps: 20 })));
    await queue.add(SIMULATED_JOB, { taskId, steps: 1 }, { delay: 600_000 });
    await expectEventually(async () => {
      const events = await store.read(taskStream(taskId), 0, 10_000, 10_000);
      expect(events.filter((e) => e.type === 'job.completed')).toHaveLength(6);
    }, 30_000);
    // A backlog: the worker paused, jobs pile up as waiting, and the next health sample sees them.
    await queue.bull.pause();
    await Promise.all(Array.from({ length: 4 }, () => queue.add(SIMULATED_JOB, { taskId, steps: 1 })));
    await expectEventually(async () => {
      const system = await store.read(SYSTEM_STREAM, 0, 10_000, 10_000);
      expect(
        system.some(
          (e) =>
            e.type === 'system.alert_firing' &&
            (e.payload as { alertname: string }).alertname === 'QueueBacklogHigh',
        ),
      ).toBe(true);
    }, 15_000);
    // The sample that fired the alert may have been taken while the 4 were still being added:
    // scrape until the gauge has caught up with the queue (the next sample, 200 ms on).
    waiting = (await queue.bull.getJobCounts('waiting')).waiting ?? -1;
    await expectEventually(async () => {
      text = await scrape(t);
      all = samples(text);
      expect(all.get('taskdash_queue_depth_jobs{queue="executions",state="waiting"}')).toBe(waiting);
    }, 5_000);
  }, 90_000);
  afterAll(() => t?.close());

  it('reports queue depth per state from the health samples (the panel and QueueBacklogHigh had no data)', () => {
    // The 4 jobs added while paused; under load a queue can hold more (seen once: 6), and the
    // panel must show what the queue holds, so the check is against BullMQ's own count.
    expect(waiting).toBeGreaterThanOrEqual(4);
    expect(all.get('taskdash_queue_depth_jobs{queue="executions",state="waiting"}')).toBe(waiting);
    expect(all.get('taskdash_queue_depth_jobs{queue="executions",state="delayed"}')).toBe(1);
    expect(all.get('taskdash_queue_depth_jobs{queue="executions",state="failed"}')).toBe(0);
  });

  it("adds BullMQ's own export: job counts by state, completed total", () => {
    expect(all.get('bullmq_job_count{queue="executions",state="completed"}')).toBe(6);
    expect(all.get('bullmq_job_count{queue="executions",state="waiting"}')).toBe(waiting);
    expect(all.get('bullmq_job_count{queue="executions",state="delayed"}')).toBe(1);
    expect(all.get('bullmq_job_completed_total{queue="executions"}')).toBe(6);
  });

  it('measures the queue bridge lag of every bridged event (it stayed 0)', () => {
    expect(all.get('taskdash_queue_bridge_lag_seconds_count')).toBeGreaterThanOrEqual(6 * 3);
    expect(all.get('taskdash_queue_bridge_lag_seconds_sum')).toBeGreaterThan(0);
  });

  it('counts HTTP requests by route template, method and status class', () => {
    const count = (labels: string) => all.get(`taskdash_http_request_duration_seconds_count{${labels}}`);
    expect(count('method="POST",route="/tasks",status_class="2xx"')).toBe(1);
    expect(count('method="GET",route="/tasks/:id",status_class="2xx"')).toBe(1);
    expect(count('method="GET",route="unrouted",status_class="4xx"')).toBe(1);
    // Never a concrete path: no task id in any label.
    expect([...all.keys()].filter((s) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(s))).toEqual([]);
  });

  it('exposes build_info and the process metrics under their standard names', () => {
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'apps/backend/package.json'), 'utf8')) as { version: string }
    ).version;
    const build = [...all].find(([series]) => series.startsWith('taskdash_build_info{'));
    expect(build?.[1]).toBe(1);
    expect(build?.[0]).toContain(`version="${version}"`);
    expect(build?.[0]).toContain(`node_version="${process.version}"`);
    expect(build?.[0]).toMatch(/revision="([0-9a-f]{12}|unknown)"/);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(all.has(name)).toBe(true);
    expect(
      [...all.keys()].filter((s) => s.startsWith('taskdash_process_') || s.startsWith('taskdash_nodejs_')),
    ).toEqual([]);
  });

  it('has data for every series a Grafana panel or a Prometheus rule reads', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/dashboard.json'), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const rules = readFileSync(join(ROOT, 'ops/prometheus/alerts.yml'), 'utf8');
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => target.expr)),
      ...[...rules.matchAll(/expr: (.+)/g)].map((m) => m[1]!),
    ];
    const present = new Set([...all.keys()].map(familyOf));
    expect([...metricsIn(exprs)].filter((name) => !present.has(name))).toEqual([]);
    // Families that a quiet test run leaves at zero are allowed; the ones this workload drove must move.
    for (const moved of [
      'taskdash_events_published_total',
      'taskdash_queue_bridge_lag_seconds_count',
      'taskdash_http_request_duration_seconds_count',
      'taskdash_alerts_raised_total',
    ])
      expect(sum(all, moved)).toBeGreaterThan(0);
  });

  it("passes promtool check metrics; BullMQ's export only breaks its naming lint", () => {
    const promtool = (input: string) => {
      const run = spawnSync('promtool', ['check', 'metrics'], { input, encoding: 'utf8' });
      expect(run.error).toBeUndefined();
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    };
    // BullMQ names a gauge `bullmq_job_count`, which the lint reserves for histograms. It is
    // kept as BullMQ exports it (what BullMQ's own dashboards query). Status 3 is "parsed, lint
    // problems" (a parse error is 1), and this is the only one; without BullMQ's lines, none.
    expect(promtool(text)).toEqual({ status: 3, output: BULLMQ_LINT });
    const ours = text
      .split('\n')
      .filter((line) => !/^(# (HELP|TYPE) )?bullmq_/.test(line))
      .join('\n');
    expect(promtool(ours)).toEqual({ status: 0, output: '' });
  });
});
