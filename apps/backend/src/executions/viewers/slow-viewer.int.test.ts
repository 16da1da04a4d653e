import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { executionStream } from '@taskdash/contract';
import { startBackendProcess, type BackendProcess } from '../../../../../test/backend-process';
import { expectEventually } from '../../../../../test/eventually';
import { createTestDatabase, type TestDatabase } from '../../../../../test/test-database';
import { TEST_JWT_SECRET } from '../../../../../test/test-env';
import { signToken } from '../../auth/token-signer';
import { loadConfig } from '../../config/app-config';
import {
  createTask,
  directOutput,
  executionEnv,
  forkViewer,
  getExecution,
  sha256,
  startExecution,
  type ApiTarget,
  type ForkedViewer,
  type ViewerReport,
} from '../testing/execution-test.harness';

const OWNER = 'slow-owner';
const MiB = 1 << 20;
/**
 * The bound this test holds the server to: streaming 50 MiB to three viewers, one of which
 * has stopped reading, the backend (its V8 old space capped at 256 MiB, as a production
 * deployment would) never holds more than this much resident memory. The output itself is
 * never held: the producer waits beyond 512 KiB of unpublished output, and the stalled
 * socket stops receiving beyond its 256 KiB limit (see the `outgoing` check below).
 */
const PEAK_RSS_BOUND = 448 * MiB;

/** VmRSS or VmHWM (lifetime peak) of a process, in bytes. */
function memory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+) kB/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

// The backend runs as a process of its own (apps/backend/dist, built by `pnpm test`), so its
// memory is measured alone and its heap can be capped; the viewers are processes too, so the
// stalled one can be stopped (SIGSTOP) like a client that stops reading.
describe('a viewer that stops reading', () => {
  let database: TestDatabase;
  let backend: BackendProcess;
  let api: ApiTarget;
  const viewers: ForkedViewer[] = [];
  const gateDir = mkdtempSync(join(tmpdir(), 'slow-viewer-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    backend = await startBackendProcess({
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: `t-${randomUUID().slice(0, 8)}`,
      NODE_OPTIONS: '--max-old-space-size=256',
      ...executionEnv(),
    });
    const jwt = loadConfig({ JWT_SECRET: TEST_JWT_SECRET }).jwt;
    api = { url: backend.url, token: (sub) => signToken(jwt, { sub }) };
  });
  afterAll(async () => {
    viewers.forEach((viewer) => viewer.stop());
    await backend?.stop();
    await database?.drop();
    rmSync(gateDir, { recursive: true, force: true });
  });

  it('while 50 MB is produced: the others get all of it on time, server memory stays bounded, and it is told exactly what it missed and backfills it over HTTP', async () => {
    const output = { bytes: 50 * MiB, writeBytes: 64 * 1024, pauseMs: 0 };
    const expected = sha256(directOutput('write-pattern.mjs', JSON.stringify(output)).stdout);
    // The run writes nothing until every viewer is live: a viewer stopped while it still
    // replays the start is not in the room yet, so it would not be the slow viewer this tests.
    const gate = join(gateDir, 'viewers-live');
    const spec = JSON.stringify({ ...output, gate });
    const taskId = await createTask(api, OWNER);
    const token = api.token(OWNER);
    const fast = [forkViewer(), forkViewer()];
    const slow = forkViewer();
    viewers.push(...fast, slow);
    const pid = backend.child.pid!;
    let peakRss = memory(pid, 'VmRSS');
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, memory(pid, 'VmRSS'))), 10);
    try {
      const execution = await startExecution(api, OWNER, taskId, 'pattern', spec);
      const stream = executionStream(execution.id);
      await Promise.all([...fast, slow].map((viewer) => viewer.watch(backend.url, token, stream)));
      process.kill(slow.pid, 'SIGSTOP'); // it stops reading: its socket buffers fill up
      writeFileSync(gate, '');

      let reports: ViewerReport[] = [];
      await expectEventually(
        async () => {
          reports = await Promise.all(fast.map((viewer) => viewer.report()));
          for (const report of reports) expect(report.finished).toBeDefined();
        },
        120_000,
        200,
      );
      clearInterval(sampler);
      const snapshot = await getExecution(api, OWNER, execution.id);
      for (const report of reports) {
        expect(report).toMatchObject({ sha256: expected, holes: 0, outOfOrder: 0, skipped: [] });
        // On time: the last event reached every reading viewer within a second of the run ending.
        expect(report.finished!.at - Date.parse(snapshot.finishedAt!)).toBeLessThan(1000);
      }
      const peak = Math.max(peakRss, memory(pid, 'VmHWM'));
      console.info(`slow viewer: ${snapshot.outputBytes} bytes in ${Date.parse(snapshot.finishedAt!) - Date.parse(snapshot.startedAt!)} ms; backend peak RSS ${(peak / MiB).toFixed(0)} MiB (bound ${PEAK_RSS_BOUND / MiB} MiB)`);
      expect(peak).toBeLessThan(PEAK_RSS_BOUND);

      process.kill(slow.pid, 'SIGCONT');
      // Once drained it gets the notice and rejoins; the last event (execution.finished) may be
      // in the range it skipped, so it backfills events as well as bytes.
      const last = reports[0]!.lastSeq;
      let late: ViewerReport | undefined;
      await expectEventually(
        async () => {
          late = await slow.report();
          expect({ through: late.through, disconnected: late.disconnected }).toEqual({ through: last, disconnected: undefined });
        },
        60_000,
        200,
      );
      // Told exactly what it missed: the notices, with what it did receive, leave no hole.
      expect(late!.skipped.length).toBeGreaterThan(0);
      expect(late!.skipped.every((notice) => notice.reason === 'slow_consumer' && notice.to > notice.from)).toBe(true);
      expect(late!.liveBytes).toBeLessThan(snapshot.outputBytes);
      expect(late!.outOfOrder).toBe(0);
      expect(late!).toMatchObject({ tiled: true, tiledTo: snapshot.outputBytes });
      // Operators see it: each skip is counted (the slow-viewer panel had only disconnects).
      const metrics = await (await fetch(`${backend.url}/metrics`)).text();
      const skips = Number(/taskdash_ws_slow_viewer_actions_total\{action="skipped"\} (\d+)/.exec(metrics)?.[1]);
      expect(skips).toBeGreaterThanOrEqual(1);

      await slow.backfill(backend.url, token, execution.id);
      const whole = await slow.report();
      expect(whole).toMatchObject({ sha256: expected, holes: 0, bytes: snapshot.outputBytes });
      expect(whole.finished).toMatchObject({ status: 'succeeded', outputBytes: snapshot.outputBytes });
    } finally {
      clearInterval(sampler);
    }
  }, 240_000);
});
