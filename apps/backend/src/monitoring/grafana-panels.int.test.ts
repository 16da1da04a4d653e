import { waitFor } from '@taskdash/testkit';
import { loadDashboard, concreteExpr } from '../../../../test/grafana-dashboard';
import { startPrometheus, type PrometheusServer } from '../../../../test/prometheus-server';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { BACKLOG_ALERT_ENV } from '../../test/backlog-alert.env';
import {
  failAStoreWrite,
  followATask,
  leaveDuringAReplay,
  misbehaveAtTheEdge,
  removeAMember,
  resumeFromAPosition,
  runJobsAndABacklog,
  stopReading,
} from '../../test/grafana-panels.workload';

/**
 * How Grafana's variables are filled in. Grafana's own `$__rate_interval` for a 1 s scrape would
 * be 4 s; a minute (60 scrapes) keeps a one-off increment visible even when a scrape or two
 * time out while the workload keeps the event loop busy. `$__range` covers the whole run.
 */
const DURATIONS = { rateInterval: '1m', range: '1h' };
const STEP_SEC = 1;

interface TargetResult {
  panel: string;
  refId: string;
  expr: string;
  /** Every point of every series Prometheus answered (NaN for a quantile of nothing). */
  values: number[];
  error?: string;
}

/**
 * Every target as Grafana queries it: time-series and bar-gauge panels draw a range (here the
 * whole run, a point a second), a panel marked `instant` asks for one value at the end.
 */
async function evaluateDashboard(
  prometheus: PrometheusServer,
  start: number,
  end: number,
): Promise<TargetResult[]> {
  const targets = loadDashboard().panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, target })),
  );
  return Promise.all(
    targets.map(async ({ panel, target }) => {
      const expr = concreteExpr(target.expr, DURATIONS);
      try {
        const values = target.instant
          ? (await prometheus.query(expr, end)).map((s) => Number(s.value[1]))
          : (await prometheus.queryRange(expr, start, end, STEP_SEC)).flatMap((s) =>
              s.values.map(([, v]) => Number(v)),
            );
        return { panel, refId: target.refId, expr, values };
      } catch (error) {
        return { panel, refId: target.refId, expr, values: [], error: (error as Error).message };
      }
    }),
  );
}

/** Resolves once Prometheus holds a successful scrape taken at or after `since` (unix seconds). */
async function scrapedSince(prometheus: PrometheusServer, since: number): Promise<void> {
  await waitFor(
    async () => {
      const [last] = await prometheus.query('timestamp(up{job="taskdash"} == 1)');
      return last !== undefined && Number(last.value[1]) >= since;
    },
    20_000,
    `a successful scrape after ${new Date(since * 1000).toISOString()}`,
    100,
  );
}

const showsData = (r: TargetResult) => r.values.some(Number.isFinite);
const moved = (r: TargetResult) => r.values.some((v) => Number.isFinite(v) && v !== 0);
/** Panel title -> its targets' results, in the dashboard's order. */
const byPanel = (results: TargetResult[]): [string, TargetResult[]][] =>
  [...new Set(results.map((r) => r.panel))].map((panel) => [panel, results.filter((r) => r.panel === panel)]);

/**
 * "Every Grafana panel shows data in a test run", literally: a real Prometheus scrapes the real
 * backend every second while a workload drives every panel of ops/grafana/dashboard.json, then
 * every target is evaluated through Prometheus's HTTP API. Presence of a metric family is not
 * enough: `rate(x) > 0` is empty while x stands still, `histogram_quantile` of a histogram with
 * no observations in the window is NaN, and a labelled counter never incremented has no series.
 */
describe('the Grafana dashboard, on a real Prometheus scraping a real workload', () => {
  let t: TestApp | undefined;
  let prometheus: PrometheusServer | undefined;
  let results: TargetResult[];

  beforeAll(async () => {
    t = await startTestApp({
      redis: true,
      env: {
        ...BACKLOG_ALERT_ENV,
        // A socket that stops reading is closed after 64 KiB instead of 1 MiB.
        MAX_OUTGOING_BYTES: '65536',
        VIEWER_MAX_BUFFER_BYTES: '32768',
        // A refused event write gives up (store_timeout) after 1.5 s instead of 10.
        DATABASE_WRITE_TIMEOUT_MS: '1500',
      },
      websocket: { connections: { slowConsumerCheckMs: 50 } },
    });
    prometheus = await startPrometheus({ target: new URL(t.url).host });
    const start = Math.floor(Date.now() / 1000);
    // Before the workload: every counter has a sample to rise from.
    await scrapedSince(prometheus, start);

    const followed = await followATask(t);
    await resumeFromAPosition(followed);
    await leaveDuringAReplay(t, followed);
    await misbehaveAtTheEdge(t);
    await removeAMember(t, followed);
    await stopReading(t);
    await failAStoreWrite(t, followed.taskId);
    await runJobsAndABacklog(t, followed.taskId);

    // A few scrapes after the last action, so every rate window has seen it.
    await scrapedSince(prometheus, Date.now() / 1000 + 2);
    results = await evaluateDashboard(prometheus, start, Math.ceil(Date.now() / 1000));
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await t?.close();
  });

  // The "Done when": a panel shows data when any of its queries does (Grafana draws the others
  // as nothing), so this is the test of the issue.
  it('shows data on every panel', () => {
    const blank = byPanel(results)
      .filter(([, targets]) => !targets.some(showsData))
      .map(([panel]) => panel);
    expect(blank).toEqual([]);
  });

  // Stricter, and what an operator expects: no legend entry of a panel stays empty either.
  it('shows data for every query of every panel', () => {
    const empty = results
      .filter((r) => !showsData(r))
      .map((r) => `${r.panel} [${r.refId}] ${r.error ?? r.expr}`);
    expect(empty).toEqual([]);
  });

  // A flat zero is data too; this shows the workload, not only the series created up front, moved each panel.
  it('has a value other than zero on every panel', () => {
    const flat = byPanel(results)
      .filter(([, targets]) => !targets.some(moved))
      .map(([panel]) => panel);
    expect(flat).toEqual([]);
  });
});
