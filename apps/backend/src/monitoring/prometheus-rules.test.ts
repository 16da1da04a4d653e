import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const RULES = join(__dirname, '../../../../ops/prometheus/alerts.yml');

describe('ops/prometheus/alerts.yml', () => {
  it('passes promtool check rules', () => {
    const run = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    if (run.error)
      throw new Error(
        `promtool could not be run (${run.error.message}); pnpm test installs it (scripts/prepare-test-tools.mjs)`,
      );
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/SUCCESS: 15 rules found/);
  });
});
