import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@taskdash/testkit';

/** One series of a range query: its labels and `[unix seconds, value]` points. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** One series of an instant query. */
export interface InstantSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  url: string;
  /** `/api/v1/query`, at `time` (unix seconds; default: now). */
  query(expr: string, time?: number): Promise<InstantSeries[]>;
  /** `/api/v1/query_range` over `[start, end]` (unix seconds), a point every `stepSec`. */
  queryRange(expr: string, start: number, end: number, stepSec: number): Promise<RangeSeries[]>;
  /** Everything Prometheus logged, for failure messages. */
  output: string[];
  /** Stops it (SIGTERM, SIGKILL after 5 s) and removes its storage. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` of the `/metrics` to scrape. */
  target: string;
  /** The scrape job's name (the `job` label). @default taskdash, as in ops/prometheus/alerts.yml */
  job?: string;
  /** @default 1 */
  scrapeIntervalSec?: number;
}

/**
 * A real Prometheus (the Debian package's binary) on a free port with a throw-away TSDB,
 * scraping one target. Resolves once it is ready and is the server on that port (its storage
 * path is ours); the caller waits for the target's `up` itself.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const interval = `${options.scrapeIntervalSec ?? 1}s`;
  // The scrape timeout may not exceed the interval; a scrape that takes longer is a gap, not a hang.
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      'scrape_configs:',
      `  - job_name: ${options.job ?? 'taskdash'}`,
      '    static_configs:',
      `      - targets: ['${options.target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && !spawnError) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const api = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    const body = (await response.json()) as { status: string; data?: { result: T }; error?: string };
    if (body.status !== 'success' || !body.data)
      throw new Error(`${params.query}: ${body.error ?? response.status}`);
    return body.data.result;
  };

  try {
    await waitFor(
      async () => {
        // Another process may have taken the port in between: make sure the answer is ours.
        const flags = (await (await fetch(`${url}/api/v1/status/flags`)).json()) as {
          data: Record<string, string>;
        };
        return flags.data['storage.tsdb.path'] === join(dir, 'data') && (await fetch(`${url}/-/ready`)).ok;
      },
      20_000,
      'Prometheus to be ready',
      50,
      () => {
        if (spawnError)
          return `prometheus could not be started (Debian package prometheus): ${spawnError.message}`;
        return child.exitCode !== null ? `it exited with ${child.exitCode}: ${output.join('')}` : undefined;
      },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    output,
    stop,
    query: (expr, time) =>
      api<InstantSeries[]>('/api/v1/query', {
        query: expr,
        ...(time !== undefined ? { time: String(time) } : {}),
      }),
    queryRange: (expr, start, end, stepSec) =>
      api<RangeSeries[]>('/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(stepSec),
      }),
  };
}
