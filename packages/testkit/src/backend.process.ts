import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.util';
import { waitFor } from './wait.util';

export interface BackendProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, stdout and stderr, in arrival order. */
  output: string[];
  /** SIGTERM and wait for the exit (SIGKILL after `timeoutMs`); resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
}

export interface BackendProcessOptions {
  /** The compiled entry point, e.g. `apps/backend/dist/main.js`. */
  main: string;
  /** The process's whole environment besides PATH, PORT and HOST (nothing is inherited). */
  env: Record<string, string>;
  /** @default 20000 */
  readyTimeoutMs?: number;
}

/**
 * A backend as a process of its own on a free port, as it runs in production: resolves once
 * `GET /health/ready` answers 200, fails (and kills it) if it exits or never gets ready.
 */
export async function spawnBackend(options: BackendProcessOptions): Promise<BackendProcess> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(process.execPath, [options.main], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => (await fetch(`${url}/health/ready`)).status === 200,
      options.readyTimeoutMs ?? 20_000,
      'the backend to be ready',
      50,
      () => (child.exitCode !== null ? `it exited with ${child.exitCode}: ${output.join('')}` : undefined),
    );
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
