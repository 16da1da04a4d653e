import type { ChaosEnvironment } from './chaos-environment';
import { sleep } from './chaos.util';

type Notes = Record<string, number | string>;

/**
 * SIGTERM the first node after taking it out of its front proxy; waits until it is gone. A
 * drain must end by itself: exit code 1 is its shutdown deadline (SHUTDOWN_TIMEOUT_SEC).
 */
export async function drainNode(env: ChaosEnvironment, notes: Notes): Promise<void> {
  const [a, b] = env.nodes;
  a!.stopped = true;
  env.reroute(a!, b!);
  notes.drained = a!.name;
  notes.exitCode = String(await a!.backend.stop(20_000));
  if (notes.exitCode !== '0') notes.failed = `the drained node exited with ${notes.exitCode}`;
}

/** `kill -9` the second node; a second later its front proxy leads to the first. */
export async function killNode(env: ChaosEnvironment, notes: Notes): Promise<void> {
  const [a, b] = env.nodes;
  b!.stopped = true;
  await b!.backend.kill();
  notes.killed = b!.name;
  await sleep(1000);
  env.reroute(b!, a!);
}
