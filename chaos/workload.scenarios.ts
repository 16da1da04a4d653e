import { bridgeHolder } from './bridge.holder';
import type { ChaosEnvironment, ChaosNode } from './chaos-environment';
import type { ChaosSize, Scenario } from './chaos.runner';
import { waitFor } from './chaos.util';
import { chaosProfiles, ExecutionWorkload } from './execution.workload';
import { JobWorkload, type JobWorkloadOptions } from './job.workload';
import { drainNode, killNode } from './node.faults';

/** Jobs of ~2 s (20 progress reports, 100 ms apart); enough workers for all that run at once. */
const jobs = (size: ChaosSize): JobWorkloadOptions => ({ tasks: size.full ? 10 : 4, watchers: size.full ? 10 : 4, steps: 20, stepMs: 100 });
const jobConcurrency = (size: ChaosSize) => String(size.jobsPerSecond * 4);

/** Executions of ~6 s: a drained node finishes its own within its shutdown timeout (10 s). */
const executions = (size: ChaosSize) => ({ lines: 24, delaySec: 0.25, streamsPerWatcher: size.full ? 5 : 4 });
// Every execution runs at once, half of them on each node. A 5 s job lock: the executions of
// a killed node are found (and ended as lost) 5-10 s after it died instead of 30-60 s.
const executionEnv = (size: ChaosSize) => ({
  EXECUTION_PROFILES: chaosProfiles(),
  QUEUE_WORKER_CONCURRENCY: String(Math.ceil(size.executions / 2)),
  QUEUE_JOB_LOCK_MS: '5000',
});

/** Waits until `node` bridges the queue; returns how long that took (to within the 300 ms it watches for). */
async function takeover(env: ChaosEnvironment, node: ChaosNode): Promise<number> {
  const started = Date.now();
  await waitFor(async () => (await bridgeHolder(env, 5000, 300)) === node, 30_000, `node ${node.name} bridging`, 0);
  return Date.now() - started;
}

/** The queue bridge and agent executions across Redis and node failures (issue scenarios 3 and 4). */
export const WORKLOAD_SCENARIOS: Scenario[] = [
  {
    // Workers in the nodes (the default layout): a Redis restart hits the jobs' progress
    // writes, the bridge's reads and its lease, and the fan-out, all at once.
    name: 'queue-bridge-redis-restart',
    env: (size) => ({ QUEUE_BRIDGE_LOCK_TTL_MS: '2000', QUEUE_WORKER_CONCURRENCY: jobConcurrency(size) }),
    workload: (ctx) => new JobWorkload(ctx, jobs(ctx.size)),
    fault: async ({ env }) => {
      await env.redis.stop();
      await env.redis.start();
    },
  },
  {
    // Jobs on a worker process of their own, so losing a node loses only its bridge:
    // kill -9 the node holding it and start it again, then SIGTERM the new holder and
    // start that one again.
    name: 'queue-bridge-restart',
    env: { QUEUE_WORKER: 'off', QUEUE_BRIDGE_LOCK_TTL_MS: '2000' },
    workload: (ctx) => new JobWorkload(ctx, { ...jobs(ctx.size), workerConcurrency: Number(jobConcurrency(ctx.size)) }),
    fault: async ({ env, notes }) => {
      const killed = await bridgeHolder(env);
      const other = env.nodes.find((node) => node !== killed)!;
      killed.stopped = true;
      await killed.backend.kill();
      env.reroute(killed, other);
      notes.killed = killed.name;
      notes.takeoverMs = await takeover(env, other);
      await env.restart(killed);
      other.stopped = true;
      env.reroute(other, killed);
      const exit = other.backend.stop(20_000);
      notes.handoverMs = await takeover(env, killed);
      notes.exitCode = String(await exit);
      if (notes.exitCode !== '0') notes.failed = `the drained node exited with ${notes.exitCode}`;
      await env.restart(other);
    },
  },
  {
    name: 'executions-drain',
    env: executionEnv,
    workload: (ctx) => new ExecutionWorkload(ctx, executions(ctx.size)),
    fault: async ({ env, notes }) => drainNode(env, notes),
  },
  {
    name: 'executions-kill9',
    env: executionEnv,
    workload: (ctx) => new ExecutionWorkload(ctx, executions(ctx.size)),
    fault: async ({ env, notes }) => killNode(env, notes),
  },
];
