import { churnAndMeasure } from './churn.check';
import { fuzzFrames, hostileFrames } from './hostile.input';
import type { Scenario } from './chaos.runner';
import { sleep } from './chaos.util';
import { drainNode, killNode } from './node.faults';
import { REFUSAL_SCENARIOS } from './refusal.scenarios';
import { WORKLOAD_SCENARIOS } from './workload.scenarios';

const healthy = async (url: string) => (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })).status === 200;

/** The scenarios; durations are the in full mode and a few seconds in CI. */
export const SCENARIOS: Scenario[] = [
  { name: 'baseline', fault: async () => sleep(1000) },
  {
    name: 'redis-restart',
    fault: async ({ env }) => {
      await env.redis.stop();
      await env.redis.start();
    },
  },
  {
    name: 'redis-kill9',
    fault: async ({ env, ms }) => {
      await env.redis.kill9();
      await sleep(ms(60_000, 3000));
      await env.redis.start();
    },
  },
  {
    name: 'redis-pubsub-kill',
    fault: async ({ env, ms, notes }) => {
      const kills = ms(5, 3);
      const replies: string[] = [];
      for (let i = 0; i < kills; i++) {
        replies.push((await env.redis.command('CLIENT KILL TYPE pubsub')).trim());
        await sleep(1000);
      }
      notes.killed = replies.join(' ');
    },
  },
  {
    name: 'redis-sigstop',
    fault: async ({ env, ms }) => {
      env.redis.freeze();
      await sleep(ms(15_000, 3000));
      env.redis.thaw();
    },
  },
  {
    name: 'redis-debug-sleep',
    fault: async ({ env, ms }) => {
      const seconds = ms(15, 3);
      await env.redis.command(`DEBUG SLEEP ${seconds}`, seconds * 1000 + 3000);
    },
  },
  {
    name: 'redis-blackhole',
    fault: async ({ env, ms }) => {
      env.redisProxy.set('blackhole');
      await sleep(ms(30_000, 4000));
      env.redisProxy.set('pass');
    },
  },
  {
    name: 'pg-outage',
    fault: async ({ env, ms }) => {
      env.pgProxy.set('reset');
      await sleep(ms(30_000, 4000));
      env.pgProxy.set('pass');
    },
  },
  {
    name: 'pg-terminate-loop',
    fault: async ({ env, ms, notes }) => {
      const until = Date.now() + ms(20_000, 4000);
      let killed = 0;
      while (Date.now() < until) {
        killed += await env.database.terminateBackends();
        await sleep(300);
      }
      notes.terminated = killed;
    },
  },
  {
    name: 'pg-table-lock',
    fault: async ({ env, ms }) => {
      await env.database.lockEvents();
      await sleep(ms(20_000, 3000));
      await env.database.unlockEvents();
    },
  },
  { name: 'node-drain', fault: async ({ env, notes }) => drainNode(env, notes) },
  { name: 'node-kill9', fault: async ({ env, notes }) => killNode(env, notes) },
  // The same, on a three-primary Redis Cluster: events cross nodes over sharded pub/sub.
  { name: 'cluster-baseline', redis: 'cluster', fault: async () => sleep(1000) },
  { name: 'cluster-node-kill9', redis: 'cluster', fault: async ({ env, notes }) => killNode(env, notes) },
  ...WORKLOAD_SCENARIOS,
  ...REFUSAL_SCENARIOS,
  {
    name: 'slow-client',
    slowClient: true,
    // Big events, so the kernel's socket buffers fill and the server's own queue grows.
    payloadBytes: 9500,
    env: { MAX_OUTGOING_BYTES: '65536', VIEWER_MAX_BUFFER_BYTES: '32768' },
    fault: async ({ slow, ms }) => {
      slow!.throttleClient(1024);
      await sleep(ms(30_000, 8000));
      slow!.throttleClient(0);
    },
  },
  {
    name: 'connection-churn',
    // The inspector lets the harness force a full GC and count listeners; this scenario only.
    env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' },
    fault: async (ctx) => churnAndMeasure(ctx),
  },
  {
    name: 'soak-pubsub-kill',
    fault: async ({ env, size, notes }) => {
      const until = Date.now() + size.soakMs;
      let kills = 0;
      while (Date.now() < until) {
        await sleep(Math.min(size.soakKillEveryMs, Math.max(0, until - Date.now())));
        await env.redis.command('CLIENT KILL TYPE pubsub');
        kills++;
      }
      notes.kills = kills;
    },
  },
  {
    name: 'hostile-input',
    fault: async ({ env, size, random, notes }) => {
      const url = env.urls[0]!;
      const token = env.token('fuzzer');
      const fuzz = await fuzzFrames(url, token, Math.floor(random() * 2 ** 31), size.fuzzCases);
      Object.assign(notes, { fuzzCases: fuzz.cases, fuzzClosedByServer: fuzz.closedByServer, fuzzSilent: fuzz.silent, fuzzConnections: fuzz.connections });
      if (fuzz.cases < size.fuzzCases) notes.failed = `only ${fuzz.cases} of ${size.fuzzCases} fuzz cases handled`;
      const hostile = await hostileFrames(url, token);
      notes.nestedClosed = String(hostile.nestedClosed);
      notes.oversizedClosed = String(hostile.oversizedClosed);
      if (!(await healthy(env.nodes[0]!.backend.url))) notes.failed = 'node a not ready after hostile input';
    },
  },
];
