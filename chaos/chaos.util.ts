import { readFileSync } from 'node:fs';
import { percentile as nearestRank } from '@taskdash/testkit';

// The shared harness (bounded waits, seeded randomness, ports, percentiles) lives in
// @taskdash/testkit; chaos reports an empty percentile as 0.
export { freePort, prng, sleep, waitFor } from '@taskdash/testkit';

export const percentile = (values: readonly number[], p: number): number => nearestRank(values, p, 0);

export function rssMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`${field}:\\s+(\\d+)`).exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
