#!/usr/bin/env node
// A stand-in for the Claude Code CLI in tests: `fake-claude -p <name> --output-format
// stream-json --verbose` replays the recorded transcript claude-stream-json/<...><name>.jsonl
// on stdout, byte for byte, with pauses like a real run (the model thinking between
// messages) and with lines split across writes, as a pipe delivers them.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const prompt = args[args.indexOf('-p') + 1];
const format = args[args.indexOf('--output-format') + 1];
if (format === 'stream-json' && !args.includes('--verbose')) {
  // What the real CLI says (FORMAT.md, section 1).
  process.stderr.write('Error: When using --print, --output-format=stream-json requires --verbose\n');
  process.exit(1);
}
if (!/^[a-z_]+$/.test(prompt ?? '')) {
  process.stderr.write(`fake-claude: unknown transcript ${JSON.stringify(prompt)}\n`);
  process.exit(2);
}
const file = fileURLToPath(new URL(`./claude-stream-json/guess-claude_code--${prompt}.jsonl`, import.meta.url));
const bytes = readFileSync(file);

const write = (chunk) => new Promise((resolve) => process.stdout.write(chunk, resolve));

let start = 0;
for (let line = 0; start < bytes.length; line++) {
  const end = bytes.indexOf(0x0a, start) + 1 || bytes.length;
  // Pauses of 20-80 ms between messages; a deterministic spread, so runs are repeatable.
  await sleep(20 + ((line * 37) % 61));
  // Every other line arrives in two writes, split a third of the way in.
  const split = line % 2 === 1 ? start + Math.floor((end - start) / 3) : end;
  await write(bytes.subarray(start, split));
  if (split < end) {
    await sleep(30);
    await write(bytes.subarray(split, end));
  }
  start = end;
}
