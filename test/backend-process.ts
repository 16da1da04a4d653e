import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { expectEventually } from './eventually';
import { TEST_JWT_SECRET, TEST_REDIS_URL } from './test-env';

const MAIN = resolve(__dirname, '../apps/backend/dist/main.js');

export interface BackendProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  /** SIGTERM and wait for exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * The compiled backend (`pnpm build`, which `pnpm test` runs first) as a separate process:
 * what a second node really is. It shares the test's database and Redis prefix.
 */
export async function startBackendProcess(env: { DATABASE_URL: string; REDIS_KEY_PREFIX: string } & Record<string, string>): Promise<BackendProcess> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ALLOWED_ORIGINS: 'http://allowed.example',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await expectEventually(async () => {
      if (child.exitCode !== null) throw new Error(`backend exited: ${output.join('')}`);
      const response = await fetch(`${url}/health/ready`);
      if (response.status !== 200) throw new Error(`not ready: ${response.status}`);
    }, 20_000, 50);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    child,
    output,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
