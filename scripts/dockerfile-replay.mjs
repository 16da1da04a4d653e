// Replays the Dockerfile's build stage without Docker: a clean directory gets exactly what
// each COPY copies from the build context (the tracked files minus .dockerignore), and each
// RUN runs there. A COPY of a missing path, or a step that needs a file no COPY brought,
// fails here as it would in `docker build`. Then the runtime stage's COPY --from=build and
// CMD are checked against the result. Usage: node scripts/dockerfile-replay.mjs [Dockerfile]
// Exit code 0 when the build stage succeeds; the reason otherwise.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const repo = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dockerfile = resolve(process.argv[2] ?? join(repo, 'Dockerfile'));
const fail = (message) => {
  console.error(`dockerfile-replay: ${message}`);
  process.exit(1);
};

/** Instructions, with continuation lines joined and comments dropped. */
function instructions(text) {
  const out = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!current && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    const [op, ...rest] = current.trim().split(/\s+/);
    out.push({ op: op.toUpperCase(), args: rest, text: current.trim().slice(op.length).trim() });
    current = '';
  }
  return out;
}

/** .dockerignore as predicates on repository paths (the patterns this repository uses). */
function ignoreRules() {
  const path = join(repo, '.dockerignore');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((pattern) => {
      const negate = pattern.startsWith('!');
      const body = (negate ? pattern.slice(1) : pattern).replace(/^\/+|\/+$/g, '');
      const glob = body
        .split('/')
        .map((part) => (part === '**' ? '(?:.*/)?' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '/'))
        .join('')
        .replace(/\(\?:\.\*\/\)\?\/?$/, '.*');
      const regex = new RegExp(`^${glob.replace(/\/$/, '')}(?:/.*)?$`);
      return { negate, test: (file) => regex.test(file) };
    });
}

/** The build context: files git tracks (a fresh clone's files), minus what .dockerignore drops. */
function contextFiles() {
  const listed = spawnSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' });
  if (listed.status !== 0) fail('git ls-files failed');
  const rules = ignoreRules();
  return listed.stdout
    .split('\0')
    .filter(Boolean)
    .filter((file) => {
      let ignored = false;
      for (const rule of rules) if (rule.test(file)) ignored = !rule.negate;
      return !ignored && existsSync(join(repo, file));
    });
}

function copy(files, sources, dest, workdir, root) {
  const target = dest.startsWith('/') ? join(root, dest) : join(workdir, dest);
  for (const source of sources) {
    const prefix = source === '.' || source === './' ? '' : source.replace(/^\.\//, '').replace(/\/$/, '');
    const matched = files.filter((f) => prefix === '' || f === prefix || f.startsWith(`${prefix}/`));
    if (matched.length === 0) fail(`COPY ${source}: no such file in the build context`);
    const single = matched.length === 1 && matched[0] === prefix;
    for (const file of matched) {
      const relative = prefix === '' ? file : single ? file.split('/').pop() : file.slice(prefix.length + 1);
      const to = dest.endsWith('/') || !single || sources.length > 1 ? join(target, relative) : target;
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(repo, file), to);
    }
  }
}

const steps = instructions(readFileSync(dockerfile, 'utf8'));
const stages = [];
for (const step of steps) {
  if (step.op === 'FROM') stages.push({ name: step.args[2] ?? String(stages.length), steps: [] });
  else stages.at(-1)?.steps.push(step);
}
if (stages.length === 0) fail('no FROM');
const [build, ...later] = stages;

const root = mkdtempSync(join(tmpdir(), 'dockerfile-replay-'));
const keep = process.env.KEEP_REPLAY === '1';
let workdir = root;
const env = { ...process.env };
const files = contextFiles();
try {
  for (const step of build.steps) {
    if (step.op === 'WORKDIR') {
      workdir = join(root, step.args[0]);
      mkdirSync(workdir, { recursive: true });
    } else if (step.op === 'ENV') {
      for (const pair of step.text.match(/[A-Za-z_][A-Za-z0-9_]*=(?:"[^"]*"|\S+)/g) ?? []) {
        const [key, ...value] = pair.split('=');
        env[key] = value.join('=').replace(/^"|"$/g, '');
      }
    } else if (step.op === 'COPY') {
      const args = step.args.filter((a) => !a.startsWith('--'));
      copy(files, args.slice(0, -1), args.at(-1), workdir, root);
    } else if (step.op === 'RUN') {
      // The image's global tool installs are this machine's already (pnpm is on PATH).
      if (/^npm install -g\b/.test(step.text)) continue;
      console.log(`dockerfile-replay: RUN ${step.text}`);
      const ran = spawnSync('sh', ['-c', step.text], { cwd: workdir, env, stdio: 'inherit' });
      if (ran.status !== 0) fail(`RUN ${step.text}: exit ${ran.status}`);
    }
  }
  // The runtime stage takes the build stage's paths and runs CMD from its WORKDIR.
  for (const stage of later) {
    let runtimeDir = '/';
    for (const step of stage.steps) {
      if (step.op === 'WORKDIR') runtimeDir = step.args[0];
      if (step.op === 'COPY' && step.args.some((a) => a === `--from=${build.name}`)) {
        const [source] = step.args.filter((a) => !a.startsWith('--'));
        if (!existsSync(join(root, source))) fail(`COPY --from=${build.name} ${source}: not in the build stage`);
      }
      if (step.op === 'CMD') {
        const command = JSON.parse(step.text);
        const script = command.find((part, i) => i > 0 && /\.(m?js|cjs)$/.test(part));
        if (script && !existsSync(join(root, runtimeDir, script))) fail(`CMD runs ${script}, which the build did not produce`);
      }
    }
  }
  const main = join(root, 'app', 'apps/backend/dist/main.js');
  console.log(`dockerfile-replay: ok (${files.length} context files; ${existsSync(main) ? statSync(main).size : 0} B main.js)`);
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
