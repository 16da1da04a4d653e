// `node writer.mjs <bytes>`: an agent that writes `bytes` bytes of coloured, multi-byte
// output to stdout as fast as the pipe takes it (writes of 64 KiB, whole lines).
import { Buffer } from 'node:buffer';

const total = Number(process.argv[2] ?? 50 * 1024 * 1024);
const line = (n) => `\x1b[3${n % 8}m${String(n).padStart(8, '0')}\x1b[0m é→😀 ${'lorem ipsum '.repeat(n % 7)}\n`;

let written = 0;
let n = 0;
while (written < total) {
  const parts = [];
  let size = 0;
  while (size < 65536 && written + size < total) {
    const text = line(n++);
    parts.push(text);
    size += Buffer.byteLength(text);
  }
  written += size;
  if (!process.stdout.write(parts.join(''))) await new Promise((resolve) => process.stdout.once('drain', resolve));
}
