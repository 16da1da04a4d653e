import { spawnSync } from 'node:child_process';
import { taskStream, type StreamPosition } from '@taskdash/contract';
import { EventCollector, subscribe } from '../../../../test/event-collector';
import { expectEventually } from '../../../../test/eventually';
import { connected, startTestApp, type TestApp, type TestSocket } from '../../../../test/test-app';

const TOKEN = 'metrics-token-0123456789';

async function scrape(t: TestApp): Promise<string> {
  const response = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** Sample lines (`name{labels} value`), i.e. one per series. */
const seriesOf = (text: string): string[] =>
  text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
const seriesKeys = (text: string): string[] =>
  seriesOf(text).map((line) => line.slice(0, line.lastIndexOf(' ')));

function value(text: string, series: string): number {
  const line = seriesOf(text).find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) {
    throw new Error(
      `promtool is needed for this test and could not be run (${run.error.message}). Install it with ` +
        '`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus`.',
    );
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      redis: true,
      env: { METRICS_TOKEN: TOKEN, HEALTH_SAMPLE_INTERVAL_MS: '200', CONNECTIONS_PER_SECOND_PER_IP: '10000' },
    });
  });
  afterAll(() => t.close());

  const sockets: TestSocket[] = [];
  /** `users` users, each owning a task with `members` other users, all connected and subscribed, then status changes. */
  async function load(
    round: string,
    users: number,
    changes: number,
  ): Promise<{ userIds: string[]; taskIds: string[] }> {
    const userIds = Array.from({ length: users }, (_, i) => `${round}-user-${i}`);
    const taskIds: string[] = [];
    for (const [i, owner] of userIds.entries()) {
      const members = [userIds[(i + 1) % users]!];
      taskIds.push(
        ((await t.http('POST', '/tasks', owner, { title: `${round} ${i}`, members })).body as { id: string })
          .id,
      );
    }
    const collectors = await Promise.all(
      userIds.map(async (sub, i) => {
        const socket = t.connect(t.token(sub));
        sockets.push(socket);
        const events = new EventCollector(socket);
        await connected(socket);
        await subscribe(socket, [{ stream: taskStream(taskIds[i]!) }]);
        return events;
      }),
    );
    const statuses = ['in_progress', 'done', 'todo'] as const;
    for (let n = 0; n < changes; n++) {
      const i = n % users;
      await t.http('PUT', `/tasks/${taskIds[i]}/status`, userIds[i], {
        status: statuses[Math.floor(n / users) % 3],
      });
    }
    await expectEventually(() => {
      const received = collectors.reduce(
        (sum, c) => sum + c.all.filter((e) => e.type === 'task.status_changed').length,
        0,
      );
      expect(received).toBe(changes);
    });
    return { userIds, taskIds };
  }

  it('keeps the number of series constant as users, tasks and streams grow, and never labels a series with an id', async () => {
    await load('warm', 5, 20);
    // HTTP series exist per route template once it was called: /metrics counts from its first answer.
    await scrape(t);
    const before = await scrape(t);
    const grown = await load('big', 60, 300);
    const after = await scrape(t);
    expect(seriesKeys(after)).toEqual(seriesKeys(before));
    for (const id of [...grown.userIds, ...grown.taskIds]) expect(after).not.toContain(id);
    // The load did register: more of everything, same series.
    expect(value(after, 'taskdash_ws_connections')).toBeGreaterThanOrEqual(65);
    expect(value(after, 'taskdash_events_published_total{type="task.status_changed"}')).toBe(320);
    expect(value(after, 'taskdash_events_delivered_total')).toBeGreaterThan(
      value(before, 'taskdash_events_delivered_total'),
    );
    expect(value(after, 'taskdash_ws_subscriptions')).toBeGreaterThanOrEqual(130);
  });

  it('passes promtool check metrics', async () => {
    const text = await scrape(t);
    // BullMQ's own export is checked in ops-metrics.int.test.ts (its naming breaks one lint).
    const ours = text.split('\n').filter((line) => !/^(# (HELP|TYPE) )?bullmq_/.test(line)).join('\n');
    expect(promtool(ours)).toEqual({ status: 0, output: '' });
    // Ours, the standard process and Node.js metrics, and BullMQ's own export.
    expect(seriesOf(text).filter((line) => !/^(taskdash|process|nodejs|bullmq)_/.test(line))).toEqual([]);
  });

  it('counts replays by outcome and the events they sent', async () => {
    const owner = 'replayer';
    const taskId = ((await t.http('POST', '/tasks', owner, { title: 'replay' })).body as { id: string }).id;
    const socket = t.connect(t.token(owner));
    sockets.push(socket);
    await connected(socket);
    const answer = await subscribe(socket, [{ stream: taskStream(taskId) }]);
    const position = (
      answer.ok && answer.results[0]?.ok ? answer.results[0].position : undefined
    ) as StreamPosition;
    const before = await scrape(t);
    for (const status of ['in_progress', 'done', 'blocked'] as const)
      await t.http('PUT', `/tasks/${taskId}/status`, owner, { status });
    const resumed = await subscribe(socket, [{ stream: taskStream(taskId), position }]);
    expect(resumed.ok && resumed.results[0]).toMatchObject({ ok: true, recovered: true });
    await expectEventually(async () => {
      const after = await scrape(t);
      expect(
        value(after, 'taskdash_replay_requests_total{outcome="recovered"}') -
          value(before, 'taskdash_replay_requests_total{outcome="recovered"}'),
      ).toBe(1);
      expect(
        value(after, 'taskdash_events_replayed_total') - value(before, 'taskdash_events_replayed_total'),
      ).toBe(3);
      expect(value(after, 'taskdash_replay_endings_total{outcome="joined"}')).toBeGreaterThan(
        value(before, 'taskdash_replay_endings_total{outcome="joined"}'),
      );
    });
  });

  it('wants the bearer token when METRICS_TOKEN is set', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${t.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-9876543210' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
  });
});

describe('GET /metrics with METRICS_ENABLED=off', () => {
  it('answers 404', async () => {
    const t = await startTestApp({ env: { METRICS_ENABLED: 'off', HEALTH_SAMPLE_INTERVAL_MS: '0' } });
    try {
      expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
