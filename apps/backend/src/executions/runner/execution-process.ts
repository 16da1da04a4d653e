import { spawn, type ChildProcess } from 'node:child_process';
import type { Fd } from '../output/output-chunker';

export interface ProcessOptions {
  cwd: string | undefined;
  /** The whole environment of the process (nothing is inherited). */
  env: Record<string, string>;
  /** Between SIGTERM and SIGKILL when the group is stopped, in ms. */
  killGraceMs: number;
}

/** How the process ended: `code` or `signal`, or `error` when it could not be started. */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/**
 * One executed command in a process group of its own (`detached` makes it a session
 * leader, so its pid is the group id). Stopping signals the whole group, so helpers the
 * agent started go with it; once the leader exits, whatever is left of the group is stopped
 * too, so no process of an execution outlives it and nothing keeps its pipes open.
 */
export class ExecutionProcess {
  /** Resolves once the process has exited and its stdout and stderr are closed. */
  readonly ended: Promise<ProcessEnd>;
  private readonly child: ChildProcess;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(argv: readonly string[], private readonly options: ProcessOptions, onData: (fd: Fd, data: Buffer) => void) {
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (data: Buffer) => onData(1, data));
    this.child.stderr?.on('data', (data: Buffer) => onData(2, data));
    this.ended = new Promise((resolve) => {
      let failure: Error | undefined;
      this.child.once('error', (error) => {
        failure = error;
        // A process that never started emits no 'exit'; 'close' may not follow either.
        if (this.child.pid === undefined) resolve({ code: null, signal: null, error });
      });
      this.child.once('exit', () => {
        // Members of the group that outlive the leader would hold the pipes open forever.
        if (this.groupAlive()) this.stop();
      });
      this.child.once('close', (code, signal) => {
        // The pipes can close while a member that ignored SIGTERM lives on: keep its SIGKILL.
        if (!this.groupAlive()) clearTimeout(this.killTimer);
        resolve({ code, signal, ...(failure ? { error: failure } : {}) });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM to the group, SIGKILL after the grace period if anything is left. Idempotent. */
  stop(): void {
    if (this.killTimer || this.child.pid === undefined) return;
    this.signalGroup('SIGTERM');
    this.killTimer = setTimeout(() => this.signalGroup('SIGKILL'), this.options.killGraceMs);
  }

  /** Waits until no process of the group is left (stopping it if needed), at most `timeoutMs`. */
  async waitGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.groupAlive()) {
      this.stop();
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** True while any process of the group exists. */
  groupAlive(): boolean {
    if (this.child.pid === undefined) return false;
    try {
      process.kill(-this.child.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Stops reading the pipes: the process blocks on its next write once the pipe is full. */
  pause(): void {
    this.child.stdout?.pause();
    this.child.stderr?.pause();
  }

  resume(): void {
    this.child.stdout?.resume();
    this.child.stderr?.resume();
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}
