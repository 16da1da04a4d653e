// The real backend, started exactly as in production: `node apps/backend/dist/main.js`
// in its own process, configured through the environment.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { BACKEND_MAIN, ROOT, backendRequire } from './backend.mjs';

const jwt = backendRequire('jsonwebtoken');

/** HS256 secret shared by the bench and the backend it starts. */
export const JWT_SECRET = 'bench-secret-0123456789abcdef-0123456789';

export function signToken(sub, role = 'user') {
  return jwt.sign({ sub, role }, JWT_SECRET, { algorithm: 'HS256', expiresIn: 3600 });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the backend on `databaseUrl` and waits until `/health/ready` answers 200.
 * NODE_ENV=production (JSON logs, production settings) with a concrete origin, since `*`
 * is refused in production; Node clients send no Origin, so it does not restrict them.
 */
export async function startBackend(databaseUrl, extraEnv = {}, nodeArgs = []) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ALLOWED_ORIGINS: 'http://localhost',
    // Every bench client connects from 127.0.0.1: lift the per-IP handshake rate limit.
    CONNECTIONS_PER_SECOND_PER_IP: '100000',
    ...extraEnv,
  };
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
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exit !== undefined) throw new Error(`backend exited during start-up (${exit})`);
    try {
      const response = await globalThis.fetch(`${url}/health/ready`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('backend did not become ready within 30 s');
    }
    await sleep(100);
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
