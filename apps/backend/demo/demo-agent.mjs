#!/usr/bin/env node
// A stand-in for a coding agent, for the demo and the dashboard's browser tests: prints
// numbered, ANSI-coloured lines at a steady pace (some on stderr), like an agent's log.
// The prompt sets the pace: "lines=200 delayMs=30 fail=false"; anything else is the task.
const prompt = process.argv[2] ?? '';
const setting = (name, fallback) => {
  const match = new RegExp(`\\b${name}=(\\S+)`).exec(prompt);
  return match ? match[1] : fallback;
};
const lines = Math.max(1, Math.min(100_000, Number(setting('lines', '120'))));
const delayMs = Math.max(0, Number(setting('delayMs', '40')));
const fail = setting('fail', 'false') === 'true';

const esc = (code) => (text) => `\x1b[${code}m${text}\x1b[0m`;
const [bold, dim, red, green, yellow, blue, magenta, cyan] = [1, 2, 31, 32, 33, 34, 35, 36].map(esc);
const FILES = ['src/tasks/tasks.service.ts', 'src/queue/worker.ts', 'README.md', 'test/tasks.int.test.ts', 'src/app.module.ts'];
const TOOLS = ['Read', 'Grep', 'Edit', 'Bash'];

function line(n) {
  const file = FILES[n % FILES.length];
  const tool = TOOLS[n % TOOLS.length];
  switch (n % 8) {
    case 0: return `${magenta('●')} ${bold('Thinking')} about step ${n}: ${dim('what does this change touch?')}`;
    case 1: return `${cyan(`● ${tool}`)}(${file})`;
    case 2: return `  ${dim('└')}  ${green('✓')} ${tool === 'Edit' ? 'updated' : 'read'} ${(n * 37) % 400 + 12} lines`;
    case 3: return `${blue('$')} pnpm test ${file.replace(/^src\//, '')}`;
    case 4: return `  ${green('PASS')} ${file} ${dim(`(${(n * 13) % 900 + 40} ms)`)}`;
    case 5: return `${yellow('⚠')} ${yellow('warning')}: ${file} has an unused import`;
    case 6: return `  ${bold('Tests:')} ${green(`${n} passed`)}, ${n % 3 === 0 ? red('1 failed') : '0 failed'}`;
    default: return `${magenta('●')} Next, ${['refactor', 'document', 'test', 'review'][n % 4]} ${file}`;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
process.stdout.write(`${bold(cyan('demo-agent'))} ${dim(`— ${lines} steps for: ${prompt.replace(/\b\w+=\S+/g, '').trim() || 'the task'}`)}\n`);
for (let n = 1; n <= lines; n++) {
  const text = `${dim(String(n).padStart(4, '0'))} ${line(n)}\n`;
  // Warnings go to stderr, like real tools: the log interleaves both.
  (n % 8 === 5 ? process.stderr : process.stdout).write(text);
  if (delayMs > 0) await sleep(delayMs);
}
process.stdout.write(fail ? `${red(bold('✗ failed'))} after ${lines} steps\n` : `${green(bold('✓ done'))} in ${lines} steps\n`);
process.exit(fail ? 1 : 0);
