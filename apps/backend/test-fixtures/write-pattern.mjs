// `node write-pattern.mjs <spec>`: writes whole lines of deterministic, colourful,
// multi-byte text, at least `bytes` bytes, to stdout (and every `stderrEvery`-th line to
// stderr), in writes of
// `writeBytes`, pausing `pauseMs` between writes (0: as fast as the pipe takes them).
// With `gate`, it writes nothing until that file exists (a test sets its viewers up first).
// spec: {"bytes": 10485760, "writeBytes": 65536, "pauseMs": 0, "stderrEvery": 0, "gate": "/tmp/x"}
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Buffer } from 'node:buffer';

const { bytes, writeBytes = 65536, pauseMs = 0, stderrEvery = 0, gate } = JSON.parse(process.argv[2]);

/** Line n: a colour, its number, text with 2-, 3- and 4-byte characters. */
const line = (n) => `\x1b[3${n % 8}m${String(n).padStart(8, '0')}\x1b[0m é→😀 ${'lorem ipsum '.repeat(n % 7)}\n`;

const write = (stream, chunk) =>
  new Promise((resolve) => {
    if (stream.write(chunk)) resolve();
    else stream.once('drain', resolve);
  });

while (gate && !existsSync(gate)) await sleep(10);

let written = 0;
let n = 0;
const out = [];
const err = [];
let outSize = 0;
const flush = async () => {
  if (err.length > 0) await write(process.stderr, Buffer.from(err.splice(0).join('')));
  if (outSize > 0) await write(process.stdout, Buffer.from(out.splice(0).join('')));
  outSize = 0;
};
while (written < bytes) {
  const text = line(n);
  const size = Buffer.byteLength(text);
  written += size;
  if (stderrEvery > 0 && n % stderrEvery === stderrEvery - 1) err.push(text);
  else {
    out.push(text);
    outSize += size;
  }
  n++;
  if (outSize >= writeBytes) {
    await flush();
    if (pauseMs > 0) await sleep(pauseMs);
  }
}
await flush();
