import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../../../test/test-app';

const run = promisify(execFile);
const PACKAGES = resolve(__dirname, '../..');

/**
 * What a dashboard project outside this repository gets: `pnpm pack` of both packages
 * (built by `pnpm build`, which `pnpm test` runs first), installed with plain npm into an
 * empty directory under the system's temp dir, then used from plain Node scripts, one ES
 * module and one CommonJS, against a running backend.
 */
describe('the packed packages, installed outside the repository', () => {
  let app: TestApp;
  let dir: string;
  let tarballs: string[];

  beforeAll(async () => {
    app = await startTestApp();
    dir = mkdtempSync(join(tmpdir(), 'taskdash-consumer-'));
    tarballs = [];
    for (const name of ['contract', 'client']) {
      const { stdout } = await run('pnpm', ['pack', '--pack-destination', dir], {
        cwd: join(PACKAGES, name),
      });
      tarballs.push(stdout.trim().split('\n').pop()!.trim());
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs],
      {
        cwd: dir,
        timeout: 120_000,
      },
    );
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs real copies with published versions, not workspace links', () => {
    for (const name of ['contract', 'client']) {
      const installed = join(dir, 'node_modules/@taskdash', name);
      expect(lstatSync(installed).isSymbolicLink()).toBe(false);
      const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
        version: string;
        dependencies?: Record<string, string>;
      };
      expect(manifest.version).toBe('0.2.0');
      expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain('workspace:');
    }
    const client = JSON.parse(
      readFileSync(join(dir, 'node_modules/@taskdash/client/package.json'), 'utf8'),
    ) as {
      dependencies: Record<string, string>;
    };
    expect(client.dependencies['@taskdash/contract']).toBe('^0.2.0');
    // Only built code and its sources: no tests, no test helpers.
    const shipped = readdirSync(join(dir, 'node_modules/@taskdash/client/src'));
    expect(shipped.filter((f) => f.endsWith('.test.ts') || f === 'testing')).toEqual([]);
  });

  it('ships declarations that type-check from an ES module and from CommonJS', async () => {
    const imports = `import { RealtimeClient } from '@taskdash/client';\nimport { userStream } from '@taskdash/contract';\n`;
    const typed = `${imports}const client: RealtimeClient = new RealtimeClient({ url: 'http://x', token: 't' });\nvoid client.subscribe(userStream('u1'));\n`;
    // Declarations that failed to resolve would type everything `any` and accept this.
    const wrong = `${imports}const n: number = userStream('u1');\nvoid n;\n`;
    for (const ext of ['mts', 'cts']) {
      writeFileSync(join(dir, `typed.${ext}`), typed);
      writeFileSync(join(dir, `wrong.${ext}`), wrong);
    }
    const tsc = (files: string[]) =>
      run(
        resolve(__dirname, '../../../node_modules/.bin/tsc'),
        ['--noEmit', '--strict', '--module', 'node16', '--target', 'es2022', ...files],
        { cwd: dir },
      )
        .then(() => 'ok')
        .catch((error: Error & { stdout?: string }) => error.stdout || error.message);
    expect(await tsc(['typed.mts', 'typed.cts'])).toBe('ok');
    const errors = await tsc(['wrong.mts', 'wrong.cts']);
    expect(errors).toContain(
      "wrong.mts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    );
    expect(errors).toContain(
      "wrong.cts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    );
  }, 60_000);

  /**
   * Subscribes, receives an event, closes, misses one, reconnects and gets it. The steps sit
   * in an async function so that the same body is valid CommonJS (no top-level await).
   */
  const consumer = (imports: string) => `${imports}
(async () => {
const [url, token, user] = process.argv.slice(2);
const post = (title) => fetch(url + '/tasks', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
  body: JSON.stringify({ title }),
}).then((r) => r.json());
const seen = [];
let notify = () => {};
const client = new RealtimeClient({ url, token });
client.on('event', (event) => { seen.push({ stream: event.stream, seq: event.seq, type: event.type, title: event.payload.task.title }); notify(); });
const next = (count) => new Promise((done, fail) => {
  const timer = setTimeout(() => fail(new Error('timed out with ' + JSON.stringify(seen))), 15000);
  notify = () => { if (seen.length >= count) { clearTimeout(timer); done(); } };
  notify();
});
client.connect();
const [answer] = await client.subscribe(userStream(user));
if (!answer.ok) throw new Error(JSON.stringify(answer));
await post('live');
await next(1);
client.close();
await post('missed while away');
client.connect();
await next(2);
client.close();
console.log(JSON.stringify(seen));
})().catch((error) => { console.error(error); process.exit(1); });
`;

  const runConsumer = async (file: string, imports: string, user: string) => {
    writeFileSync(join(dir, file), consumer(imports));
    const { stdout } = await run(process.execPath, [file, app.url, app.token(user), user], {
      cwd: dir,
      timeout: 30_000,
    });
    return JSON.parse(stdout.trim()) as Array<{ stream: string; seq: number; type: string; title: string }>;
  };

  const expectResumed = (seen: Awaited<ReturnType<typeof runConsumer>>, user: string) => {
    expect(seen).toEqual([
      { stream: `user:${user}`, seq: 1, type: 'task.created', title: 'live' },
      { stream: `user:${user}`, seq: 2, type: 'task.created', title: 'missed while away' },
    ]);
  };

  it('works from a plain ES module: subscribe, receive, resume after a reconnect', async () => {
    const imports = `import { RealtimeClient } from '@taskdash/client';\nimport { userStream } from '@taskdash/contract';`;
    expectResumed(await runConsumer('consumer.mjs', imports, 'esm-user'), 'esm-user');
  });

  it('works from a plain CommonJS script: subscribe, receive, resume after a reconnect', async () => {
    const imports = `const { RealtimeClient } = require('@taskdash/client');\nconst { userStream } = require('@taskdash/contract');`;
    expectResumed(await runConsumer('consumer.cjs', imports, 'cjs-user'), 'cjs-user');
  });
});
