import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './chaos.util';

/**
 * A Redis of the harness's own, on its own port with AOF on and DEBUG enabled, so it can be
 * restarted, killed, frozen and slept at will. Never the shared Redis on 6379, nor anyone
 * else's: the port is one the OS reported free, and after every start the server that
 * answers must report our child's pid, or the harness stops before sending it anything.
 */
export class ChaosRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'chaos-redis-'));

  constructor(readonly port: number) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--save', '', '--dir', this.dir, '--enable-debug-command', 'local', '--logfile', join(this.dir, 'redis.log')],
      { stdio: 'ignore' },
    );
    this.child = child;
    await waitFor(async () => (await this.send('PING')).startsWith('+PONG'), 10_000, 'redis up');
    const info = await this.send('INFO server');
    const pid = /process_id:(\d+)/.exec(info)?.[1];
    if (Number(pid) !== child.pid) {
      await this.signal('SIGKILL');
      throw new Error(`port ${this.port} is answered by another Redis (pid ${pid ?? '?'}, ours ${child.pid}); refusing to use it`);
    }
  }

  /** SIGTERM (Redis writes its AOF and exits) and wait. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /**
   * One command in inline form over a fresh connection; resolves with the raw reply. Only
   * while our own server runs: a stopped one's port may belong to someone else by now.
   */
  async command(line: string, timeoutMs = 2000): Promise<string> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`chaos Redis on ${this.port} is not running; not sending ${line}`);
    return this.send(line, timeoutMs);
  }

  private send(line: string, timeoutMs = 2000): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: this.port });
      let reply = '';
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      };
      const timer = setTimeout(done, timeoutMs);
      socket.on('connect', () => socket.write(`${line}\r\n`));
      socket.on('data', (data: Buffer) => {
        reply += data.toString();
        if (reply.endsWith('\r\n')) done();
      });
      socket.on('error', done);
    });
  }

  async close(): Promise<void> {
    this.thaw();
    await this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
