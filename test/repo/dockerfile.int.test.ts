import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Runs scripts/dockerfile-replay.mjs (the Dockerfile's build stage, replayed without Docker). */
function replay(dockerfile?: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts/dockerfile-replay.mjs'), ...(dockerfile ? [dockerfile] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

/** Docker's daemon is not available here, so the image build is replayed step by step. */
describe('the Dockerfile', () => {
  it('builds: every COPY exists and the build stage produces what the runtime stage runs', () => {
    const result = replay();
    expect(result.output).toContain('dockerfile-replay: ok');
    expect(result.status).toBe(0);
  }, 240_000);

  it('a build without the dashboard manifest before the install fails, as docker build did', () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'dockerfile-')), 'Dockerfile');
    const original = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(original).toContain('COPY apps/dashboard/package.json apps/dashboard/\n');
    writeFileSync(broken, original.replace('COPY apps/dashboard/package.json apps/dashboard/\n', ''));
    const result = replay(broken);
    expect(result.status).toBe(1);
    expect(result.output).toContain('RUN pnpm prisma:generate && pnpm build: exit 1');
  }, 240_000);

  it('a COPY of a path that is not in the build context fails', () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'dockerfile-')), 'Dockerfile');
    writeFileSync(broken, readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace('COPY packages/client/package.json', 'COPY packages/gone/package.json'));
    const result = replay(broken);
    expect(result.status).toBe(1);
    expect(result.output).toContain('COPY packages/gone/package.json: no such file in the build context');
  });
});
