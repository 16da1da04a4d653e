import type { ChaosEnvironment, ChaosNode } from './chaos-environment';
import { sleep } from './chaos.util';
import { scrape, total } from './node.metrics';

/** Job events this node has stored: only the node holding the bridge publishes them. */
async function jobEventsPublished(node: ChaosNode): Promise<number> {
  return total(await scrape(node.backend.url), 'taskdash_events_published_total', (labels) => labels.includes('type="job.'));
}

const alive = (node: ChaosNode) => !node.stopped && node.backend.child.exitCode === null && node.backend.child.signalCode === null;

/**
 * The node that bridges the queue now: the one live node whose count of published job
 * events grows over `windowMs` while the others' stands still (jobs must be running).
 * Throws after `timeoutMs` without a single such node.
 */
export async function bridgeHolder(env: ChaosEnvironment, timeoutMs = 30_000, windowMs = 1000): Promise<ChaosNode> {
  const deadline = Date.now() + timeoutMs;
  do {
    const nodes = env.nodes.filter(alive);
    const before = await Promise.all(nodes.map((node) => jobEventsPublished(node).catch(() => NaN)));
    await sleep(windowMs);
    const after = await Promise.all(nodes.map((node) => jobEventsPublished(node).catch(() => NaN)));
    const growing = nodes.filter((_, i) => after[i]! > before[i]!);
    if (growing.length === 1) return growing[0]!;
  } while (Date.now() < deadline);
  throw new Error(`no single node bridged the queue within ${timeoutMs} ms`);
}
