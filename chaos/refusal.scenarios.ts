import type { RecoveryFailure } from '../packages/contract/src';
import type { ChaosEnvironment } from './chaos-environment';
import type { Scenario } from './chaos.runner';
import { sleep } from './chaos.util';
import { killNode } from './node.faults';

/** Node a's clients cut off (connections reset, new ones refused) for `ms`, then let back. */
async function offline(env: ChaosEnvironment, ms: number, meanwhile?: () => Promise<void>): Promise<void> {
  const front = env.nodes[0]!.front;
  front.set('reset');
  await sleep(ms);
  await meanwhile?.();
  front.set('pass');
}

/**
 * Refusals on purpose: clients come back after missing more than the server will replay, or
 * after the history they need was purged. Each must be told the right reason (`reload` with
 * it) and then get everything after its new position; only what it was told to reload may be
 * missing, which the wire checker counts apart (`reloaded`) and the runner allows.
 */
export const REFUSAL_SCENARIOS: Scenario[] = [
  {
    name: 'refusal-too-many-missed',
    env: { REPLAY_MAX_EVENTS: '10' },
    expectRefusal: 'too_many_missed' satisfies RecoveryFailure,
    fault: async ({ env, ms }) => offline(env, ms(10_000, 3000)),
  },
  {
    name: 'refusal-history-expired',
    expectRefusal: 'history_expired' satisfies RecoveryFailure,
    // While they are away, retention purges all but the last event of every stream (as the
    // retention service does: first_seq moves, then the rows below it go).
    fault: async ({ env, ms, streams, notes }) =>
      offline(env, ms(10_000, 2000), async () => {
        notes.purged = await env.database.purgeAllButLast(streams);
      }),
  },
  {
    // Everything else runs with the connection and message limits raised, because all its
    // clients share one address and one user. Here they are the defaults, and a node's
    // clients reconnecting at once to the other must still all get in and lose nothing.
    name: 'default-limits',
    env: { CONNECTIONS_PER_SECOND_PER_IP: '20', MAX_CONNECTIONS_PER_USER: '20', MESSAGES_PER_SECOND: '20' },
    fault: async ({ env, notes }) => killNode(env, notes),
  },
];
