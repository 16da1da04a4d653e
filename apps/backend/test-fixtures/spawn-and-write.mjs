// `node spawn-and-write.mjs`: starts a helper process (in the same process group, as an
// agent's tool would be) and both write a numbered line every 20 ms, forever, each line
// naming its pid. Only stopping the whole group ends it.
import { spawn } from 'node:child_process';
import { setInterval } from 'node:timers';

const role = process.argv[2] ?? 'leader';
if (role === 'leader') {
  // The helper shares stdout and stderr: the execution's pipes close only when both are gone.
  spawn(process.execPath, [process.argv[1], 'helper'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
let n = 0;
setInterval(() => process.stdout.write(`${role} pid=${process.pid} line=${n++}\n`), 20);
