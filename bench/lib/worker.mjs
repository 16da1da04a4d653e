// Child processes driven by request/response messages over the IPC channel.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Forks `script` (a path relative to bench/) and returns a handle whose `call(cmd, args)`
 * resolves with what the child's handler returned. `inheritEnv: false` gives the child
 * `env` alone (a backend must not pick up the caller's DATABASE_URL or REDIS_URL);
 * `execArgv` are Node's flags for the child (e.g. `--expose-gc`).
 */
export function startWorker(script, { env = {}, name = script, inheritEnv = true, execArgv = [] } = {}) {
  const child = fork(fileURLToPath(new URL(`../${script}`, import.meta.url)), [], {
    env: inheritEnv ? { ...process.env, ...env } : env,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let next = 0;
  let exited = false;
  child.on('message', (message) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${name}: ${message.error}`));
    else waiter.resolve(message.result);
  });
  child.on('exit', (code, signal) => {
    exited = true;
    for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited (${signal ?? code})`));
    pending.clear();
  });
  return {
    pid: child.pid,
    call(cmd, args = {}, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${name} has exited`));
      const id = ++next;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => (clearTimeout(timer), resolve(value)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        child.send({ id, cmd, args });
      });
    },
    /** Asks the child to exit, then kills it if it has not within `graceMs`. */
    async stop(graceMs = 3000) {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ id: 0, cmd: '__exit', args: {} });
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** The child side: answers `call`s with `handlers[cmd](args)`; `__exit` ends the process. */
export function serveWorker(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    if (cmd === '__exit') {
      await handlers.close?.().catch(() => undefined);
      process.exit(0);
    }
    try {
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      process.send({ id, result: await handler(args) });
    } catch (error) {
      process.send({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
