import { join } from 'node:path';
import { CI_SIZE, runScenario, type ChaosSize, type Scenario } from './chaos.runner';
import { formatTable } from './chaos.report';
import { SCENARIOS } from './chaos.scenarios';

const PRELOAD = join(__dirname, 'wire-mutation.preload.mjs');
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
// A build that loses frames never catches up: judge it after 5 s instead of the usual 45.
const SIZE: ChaosSize = { ...CI_SIZE, events: 400, clients: 8, catchUpMs: 5000 };
const baseline = SCENARIOS.find((scenario) => scenario.name === 'baseline')!;

/** The baseline scenario on a build that is wrong on purpose (see wire-mutation.preload.mjs). */
const mutated = (mutation: string): Scenario => ({
  ...baseline,
  name: `baseline, ${mutation}`,
  env: { NODE_OPTIONS: `--import ${PRELOAD}`, CHAOS_WIRE_MUTATION: mutation },
});

/**
 * The fault suite must catch what it claims to: a build that sends some `events` frames twice,
 * or not at all, fails it. RealtimeClient hides both from the app (it drops repeated seqs and
 * fetches what is missing), so only the raw-wire check against the events table can see them.
 */
describe(`the chaos suite on a mutated build (seed ${SEED})`, () => {
  it('fails a build that sends 5% of event frames twice, which the client library hides', async () => {
    const result = await runScenario(mutated('duplicate:0.05'), SIZE, SEED);
    process.stdout.write(`${formatTable([result], true)}\n`);
    expect(result.error).toBeUndefined();
    expect(result.wire?.duplicated).toBeGreaterThan(0);
    expect(result.passed).toBe(false);
    // After the client's de-duplication nothing shows: why the checker reads the wire.
    expect(result.duplicated).toBe(0);
  }, 180_000);

  it('fails a build that drops 5% of event frames', async () => {
    const result = await runScenario(mutated('drop:0.05'), SIZE, SEED + 1);
    process.stdout.write(`${formatTable([result], true)}\n`);
    expect(result.error).toBeUndefined();
    expect(
      (result.wire?.gaps ?? 0) + (result.wire?.lost ?? 0) + (result.wire?.replayMismatch ?? 0),
    ).toBeGreaterThan(0);
    expect(result.passed).toBe(false);
  }, 180_000);
});
