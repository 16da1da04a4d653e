import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createApp } from '../app.factory';
import { closeRuntime, openRuntime } from '../app.runtime';
import { signToken } from '../auth/token-signer';
import { ConfigError, loadConfig } from '../config/app-config';
import { DEMO_ADMIN, DEMO_USER, DemoScenario } from '../demo/demo.scenario';
import { DASHBOARD_DIST } from '../dashboard/dashboard-static.util';
import { AppLogger } from '../logging/app-logger';
import { removeKeysWithPrefix } from '../redis/redis-client';
import { DEFAULT_ALERT_RULES, type AlertRule } from '../monitoring/alerts/alert-rule.schema';

const LOCAL_REDIS = 'redis://127.0.0.1:6379';
const DEMO_AGENT = join(__dirname, '..', '..', 'demo', 'demo-agent.mjs');

const DEMO_RULE: AlertRule = {
  name: 'DemoEventLoopLag',
  metric: 'eventLoopLagP99Ms',
  op: 'above',
  threshold: 150,
  clear: 50,
  forMs: 0,
  severity: 'warning',
  summary: 'Event loop lag p99 is {value} ms (threshold {threshold} ms): the demo is blocking the loop',
};

/** Whether a Redis answers PING at `url` within half a second. */
function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 6379), hostname);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** `pnpm demo`: the backend with the embedded defaults, plus a scenario that keeps the dashboard busy. */
async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? ((await redisAnswers(LOCAL_REDIS)) ? LOCAL_REDIS : undefined);
  const dataDir = join(process.cwd(), '.data', 'demo');
  if (!process.env.DATABASE_URL) rmSync(dataDir, { recursive: true, force: true }); // a fresh demo every time
  const config = loadConfig({
    ...process.env,
    NODE_ENV: process.env.NODE_ENV === 'production' ? 'production' : 'development',
    EMBEDDED_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...(redisUrl && { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `taskdash-demo-${randomUUID().slice(0, 8)}` }),
    HEALTH_SAMPLE_INTERVAL_MS: '2000',
    ALERT_GROUP_WINDOW_MS: '1000',
    QUEUE_OVERVIEW_INTERVAL_MS: '2000',
    ALERT_RULES: JSON.stringify([...DEFAULT_ALERT_RULES, DEMO_RULE]),
    EXECUTION_PROFILES: JSON.stringify({ demo: [process.execPath, DEMO_AGENT, '{prompt}'] }),
  });
  const logger = new AppLogger(config.log);
  const runtime = await openRuntime(config, logger);
  const app = await createApp(runtime);
  await app.listen(config.port, config.host);
  const url = `http://localhost:${config.port}`;
  const token = (sub: string, role: 'admin' | 'user') => signToken(config.jwt, { sub, role, ttlSec: 12 * 3600 });
  const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);
  const admin = token(DEMO_ADMIN, 'admin');
  say(existsSync(join(DASHBOARD_DIST, 'index.html')) ? `dashboard: ${url}/` : 'the dashboard is not built (pnpm build): API only');
  say(`sign in as ${DEMO_ADMIN} (admin) with this token:\n\n${admin}\n`);
  say(`or as ${DEMO_USER} (member of two tasks): ${token(DEMO_USER, 'user')}\n`);
  say(redisUrl ? `queues on (Redis at ${redisUrl}): jobs with progress and agent runs` : 'no Redis answered at 127.0.0.1:6379 and REDIS_URL is not set: running without queues, so no jobs and no agent runs (tasks and alerts only)');

  const scenario = new DemoScenario({ url: `http://127.0.0.1:${config.port}`, publicUrl: url, app, token: admin, queues: redisUrl !== undefined, say });
  const stop = async () => {
    scenario.stop();
    say('stopping');
    await app.close();
    // The demo's own keys (a random prefix per run), so runs leave nothing behind.
    if (runtime.redis) await removeKeysWithPrefix(runtime.redis.client, config.redisKeyPrefix);
    await closeRuntime(runtime);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await scenario.run();
}

main().catch((error: Error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `demo failed: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
});
