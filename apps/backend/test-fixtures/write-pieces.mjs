// `node write-pieces.mjs <spec>`: writes exact byte pieces to stdout or stderr with a pause
// after each, so the reader's reads end where the test wants (inside a character, inside an
// escape sequence). spec: {"pauseMs": 60, "pieces": [{"fd": 1, "b64": "..."}]}
import { setTimeout as sleep } from 'node:timers/promises';
import { Buffer } from 'node:buffer';

const spec = JSON.parse(process.argv[2]);
for (const piece of spec.pieces) {
  const stream = piece.fd === 2 ? process.stderr : process.stdout;
  await new Promise((resolve) => stream.write(Buffer.from(piece.b64, 'base64'), resolve));
  await sleep(spec.pauseMs);
}
