// The real backend in its own process, configured through the environment: either exactly
// as in production (`node apps/backend/dist/main.js`, `startBackend`), or booted the same
// way by lib/backend-launcher.mjs, which also takes commands over IPC (`startLauncher`).
import { spawn } from 'node:child_process';
import { freePort, waitFor } from '@taskdash/testkit';
import { BACKEND_MAIN, ROOT, backendRequire } from './backend.mjs';
import { startWorker } from './worker.mjs';

const jwt = backendRequire('jsonwebtoken');

/** HS256 secret shared by the bench and the backend it starts. */
export const JWT_SECRET = 'bench-secret-0123456789abcdef-0123456789';

export function signToken(sub, role = 'user') {
  return jwt.sign({ sub, role }, JWT_SECRET, { algorithm: 'HS256', expiresIn: 3600 });
}

export { freePort };

/** Polls `/health/ready` until it answers 200 (30 s at most). */
function waitReady(url, exitCode = () => undefined) {
  return waitFor(
    async () => (await globalThis.fetch(`${url}/health/ready`)).status === 200,
    30_000,
    'the backend to be ready',
    100,
    () => (exitCode() !== undefined ? `it exited during start-up (${exitCode()})` : undefined),
  );
}

/**
 * The backend's environment for the bench: NODE_ENV=production (JSON logs, production
 * settings) with a concrete origin, since `*` is refused in production; Node clients send
 * no Origin, so it does not restrict them. Nothing is inherited from the caller's
 * environment except PATH and HOME (a stray DATABASE_URL or REDIS_URL must not leak in).
 */
export function backendEnv(databaseUrl, extraEnv = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ALLOWED_ORIGINS: 'http://localhost',
    // Every bench client connects from 127.0.0.x: lift the per-IP handshake rate limit.
    CONNECTIONS_PER_SECOND_PER_IP: '100000',
    ...extraEnv,
  };
}

/** Starts the backend (`node dist/main.js`) on `databaseUrl`; waits until `/health/ready` answers 200. */
export async function startBackend(databaseUrl, extraEnv = {}, nodeArgs = []) {
  const port = await freePort();
  const env = backendEnv(databaseUrl, { PORT: String(port), ...extraEnv });
  const child = spawn(process.execPath, [...nodeArgs, BACKEND_MAIN], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exit;
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve((exit = signal ?? code))),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, () => exit);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Boots the backend in a forked process through lib/backend-launcher.mjs (same start-up as
 * main.ts) on a free port. Returns the worker handle (`call('run' | 'memory' | 'sockets')`)
 * with the server's `url`. `gc: true` runs it with `--expose-gc` for memory readings.
 */
export async function startLauncher(
  databaseUrl,
  extraEnv = {},
  { name = 'backend', gc = false, execArgv = [] } = {},
) {
  const worker = startWorker('lib/backend-launcher.mjs', {
    name,
    inheritEnv: false,
    env: backendEnv(databaseUrl, { PORT: '0', ...extraEnv }),
    execArgv: [...(gc ? ['--expose-gc'] : []), ...execArgv],
  });
  try {
    const { url } = await worker.call('start', {}, 60_000);
    await waitReady(url);
    return { ...worker, url, stop: () => worker.stop(15_000) };
  } catch (error) {
    await worker.stop();
    throw error;
  }
}

/** `fetch` with a bearer token; throws on a non-2xx answer. */
export async function api(url, method, path, token, body) {
  const response = await globalThis.fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}
