import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const WORKER = resolve(__dirname, '../apps/backend/dist/cli/worker.cli.js');

/**
 * The executions queue's worker as a process of its own (`cli/worker.cli.js`), the layout
 * with QUEUE_WORKER=off on the backends: losing a backend then loses only its sockets and
 * its bridge, never a running job.
 */
export class ChaosWorker {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  /** The harness stopped it on purpose (not a crash). */
  stopped = false;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [WORKER], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  /** SIGTERM (it finishes its running jobs), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
