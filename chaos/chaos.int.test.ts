import { CI_SIZE, runScenario, type ChaosSize } from './chaos.runner';
import { formatTable } from './chaos.report';
import { SCENARIOS } from './chaos.scenarios';

// The reduced, seeded chaos run of CI (`pnpm chaos --full` is the full size). Set
// CHAOS_SEED to repeat a run; the seed is printed either way.
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SIZE: ChaosSize = { ...CI_SIZE, events: 500, clients: 12, fuzzCases: 1000, churnCycles: 300 };

describe(`chaos (seed ${SEED})`, () => {
  beforeAll(() => process.stdout.write(`chaos seed ${SEED}\n`));

  it.each(SCENARIOS.map((scenario, index) => [scenario.name, scenario, index] as const))(
    '%s: no acknowledged event lost, duplicated or reordered; no crash',
    async (_name, scenario, index) => {
      const result = await runScenario(scenario, SIZE, SEED + index);
      process.stdout.write(`${formatTable([result], true)}\n`);
      expect({ error: result.error, crashes: result.crashes, failed: result.notes.failed, examples: result.examples }).toEqual({
        error: undefined,
        crashes: [],
        failed: undefined,
        examples: expect.any(Array),
      });
      expect({ lost: result.lost, duplicated: result.duplicated, reordered: result.reordered, unexpected: result.unexpected }).toEqual({
        lost: 0,
        duplicated: 0,
        reordered: 0,
        unexpected: 0,
      });
      expect(result.expected).toBeGreaterThan(0);
    },
    180_000,
  );
});
