import { CI_SIZE, FULL_SIZE, runScenario, type ChaosSize, type ScenarioResult } from './chaos.runner';
import { SCENARIOS } from './chaos.scenarios';
import { formatTable } from './chaos.report';

/**
 * The full size of the jobs, executions, fuzzing and churn next to the reduced task producer
 * and clients: for a machine that cannot run the full producer (two cores cannot).
 */
const FULL_WORKLOADS: ChaosSize = {
  ...CI_SIZE,
  full: true,
  jobsPerSecond: FULL_SIZE.jobsPerSecond,
  minJobs: FULL_SIZE.minJobs,
  executions: FULL_SIZE.executions,
  fuzzCases: FULL_SIZE.fuzzCases,
  churnCycles: FULL_SIZE.churnCycles,
};

/**
 * `pnpm chaos [--full | --full-workloads] [--soak] [--seed N] [--only a,b]`: every scenario on an environment of its
 * own; prints one row per scenario and exits non-zero if any failed.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const index = args.indexOf(flag);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const base = args.includes('--full') ? FULL_SIZE : args.includes('--full-workloads') ? FULL_WORKLOADS : CI_SIZE;
  const size = args.includes('--soak') ? { ...base, soakMs: 30 * 60_000, soakKillEveryMs: 5 * 60_000 } : base;
  const seed = Number(value('--seed') ?? Math.floor(Math.random() * 2 ** 31));
  const only = value('--only')?.split(',');
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));
  const sizeName = base === FULL_WORKLOADS ? 'full workloads, reduced producer' : size.full ? 'full' : 'reduced';
  process.stdout.write(`chaos: seed ${seed}, ${sizeName} size, ${scenarios.length} scenarios\n`);
  const results: ScenarioResult[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    const result = await runScenario(scenario, size, seed + index);
    results.push(result);
    process.stdout.write(`${formatTable([result], index === 0)}\n`);
    if (!result.passed) process.stdout.write(`  ${[result.error, ...result.crashes, ...result.examples].filter(Boolean).join('\n  ')}\n`);
  }
  process.stdout.write(`\n${formatTable(results, true)}\nseed ${seed}\n`);
  process.exitCode = results.every((r) => r.passed) ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 2;
});
