// Builds one shared package (run from its directory: `node ../../scripts/build-package.mjs`)
// into what a project outside this repository can install:
//   dist/cjs  CommonJS (require), with its own package.json {"type":"commonjs"}
//   dist/esm  ES modules (import), relative specifiers ending in .js, {"type":"module"}
//   .d.ts files beside both, so each entry of the exports map finds types of its own kind.
// swc does the JavaScript (fast, the same settings as the backend); tsc only the declarations.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules/.bin', name);
const IGNORE = '**/*.test.ts,**/testing/**';

const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

const swcConfig = (moduleOptions) => {
  const base = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
  return JSON.stringify({ ...base, module: moduleOptions });
};

const files = (dir) =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path) : [path];
  });

rmSync('dist', { recursive: true, force: true });
const work = join('dist', '.swcrc');
mkdirSync('dist', { recursive: true });

for (const [dir, moduleOptions, type] of [
  ['dist/cjs', { type: 'commonjs' }, 'commonjs'],
  ['dist/esm', { type: 'es6' }, 'module'],
]) {
  writeFileSync(work, swcConfig(moduleOptions));
  run(bin('swc'), [
    'src',
    '-d',
    dir,
    '--strip-leading-paths',
    '-q',
    '--config-file',
    work,
    '--ignore',
    IGNORE,
  ]);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type }, null, 2)}\n`);
}
rmSync(work);

// Node's ESM loader wants full relative specifiers ('./envelope.util.js'); with them
// declarations resolve under both `node16` (ESM and CJS) and the older `node` resolution.
const withExtensions = (text) =>
  text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+?)(?<!\.js)\2/g, '$1$2$3.js$2');
for (const file of files('dist/esm').filter((f) => f.endsWith('.js'))) {
  writeFileSync(file, withExtensions(readFileSync(file, 'utf8')));
}

// Declarations: the workspace's path mapping would inline the sibling package's sources,
// so tsc runs with the package's own resolution (its dependencies through node_modules).
const types = 'dist/types';
run(bin('tsc'), [
  '--declaration',
  '--emitDeclarationOnly',
  '--outDir',
  types,
  '--rootDir',
  'src',
  '--strict',
  '--skipLibCheck',
  '--target',
  'ES2022',
  '--module',
  'commonjs',
  '--moduleResolution',
  'node',
  '--lib',
  'ES2023,DOM',
  '--types',
  'node',
  '--esModuleInterop',
  '--isolatedModules',
  '--noEmit',
  'false',
  ...files('src').filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('/testing/')),
]);
for (const file of files(types)) {
  const text = withExtensions(readFileSync(file, 'utf8'));
  const relative = file.slice(types.length + 1);
  for (const dir of ['dist/cjs', 'dist/esm']) {
    mkdirSync(join(dir, relative, '..'), { recursive: true });
    writeFileSync(join(dir, relative), text);
  }
}
rmSync(types, { recursive: true });
