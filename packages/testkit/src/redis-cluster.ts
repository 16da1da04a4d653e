import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.util';
import { waitFor } from './wait.util';

export interface RedisClusterOptions {
  /** Primaries, each a `redis-server` process of its own. @default 3 */
  primaries?: number;
  /** `redis-server` binary. @default 'redis-server' (Debian's redis package) */
  serverBinary?: string;
  /** `redis-cli` binary. @default 'redis-cli' */
  cliBinary?: string;
}

/** A local Redis Cluster that this process started, and owns. */
export interface RedisCluster {
  /** `host:port` of every primary. */
  nodes: string[];
  /** `redis://host:port` of the first primary (a seed: clients discover the rest). */
  url: string;
  /** Stops one primary at once (SIGKILL), for fault tests. */
  kill(index: number): void;
  /** Stops every primary and removes their files. */
  stop(): Promise<void>;
}

const cli = (binary: string, port: number, ...args: string[]): string => {
  const run = spawnSync(binary, ['-h', '127.0.0.1', '-p', String(port), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0)
    throw new Error(`redis-cli ${args.join(' ')} on ${port}: ${run.stderr || run.stdout}`);
  return run.stdout;
};

/**
 * Starts `primaries` cluster-enabled `redis-server` processes on free ports (no persistence,
 * files in a temporary directory), joins them with `redis-cli --cluster create` (no
 * replicas), and waits until every node reports `cluster_state:ok`. Each port is checked to
 * be answered by the server this call started (its `run_id`), so a test never talks to a
 * Redis it did not start.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const count = options.primaries ?? 3;
  const server = options.serverBinary ?? 'redis-server';
  const redisCli = options.cliBinary ?? 'redis-cli';
  const dir = mkdtempSync(join(tmpdir(), 'taskdash-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const child = spawn(
        server,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--logfile',
          join(dir, `redis-${port}.log`),
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
      ports.push(port);
      let exited: string | undefined;
      child.once('exit', (code, signal) => (exited = `redis-server on ${port} exited (${signal ?? code})`));
      await waitFor(
        () => cli(redisCli, port, 'ping').trim() === 'PONG',
        10_000,
        `redis-server on ${port}`,
        50,
        () => exited,
      );
      // Ours, not a server that took the port in between: INFO names our pid.
      const pid = /process_id:(\d+)/.exec(cli(redisCli, port, 'info', 'server'))?.[1];
      if (Number(pid) !== child.pid)
        throw new Error(`port ${port} is answered by another Redis (pid ${pid})`);
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    cli(redisCli, ports[0]!, '--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes');
    await waitFor(
      () => ports.every((port) => cli(redisCli, port, 'cluster', 'info').includes('cluster_state:ok')),
      30_000,
      'the cluster to report cluster_state:ok',
      100,
    );
    return {
      nodes,
      url: `redis://${nodes[0]}`,
      kill: (index) => void children[index]?.kill('SIGKILL'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
