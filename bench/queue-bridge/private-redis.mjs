// A Redis server of the benchmark's own (when `redis-server` is installed), so that its CPU
// time is the benchmark's alone. Falls back to BENCH_REDIS_URL (or the local 6379) without it.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { freePort } from '../lib/server.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startRedis() {
  const fallback = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (process.env.BENCH_REDIS_URL || spawnSync('redis-server', ['--version']).status !== 0) {
    return { url: fallback, pid: null, private: false, stop: async () => undefined };
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const accepts = () =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  for (let i = 0; !(await accepts()); i++) {
    if (i > 100) throw new Error('private redis-server did not start');
    await sleep(50);
  }
  return {
    url,
    pid: child.pid,
    private: true,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
