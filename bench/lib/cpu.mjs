// CPU time of a process from /proc (Linux), to show where a benchmark's time goes.
import { existsSync, readFileSync } from 'node:fs';

const TICKS_PER_SEC = 100; // USER_HZ; 100 on every Linux architecture Node supports

/** User+system CPU seconds used so far by `pid`, or NaN where /proc is not available. */
export function cpuSeconds(pid) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return Number.NaN;
  // Fields after "(comm) ": state is [0], utime [11], stime [12].
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

/** Starts a CPU meter on `pid`; `stop()` returns the share of one core it used, in %. */
export function cpuMeter(pid) {
  const cpu0 = cpuSeconds(pid);
  const t0 = Date.now();
  return {
    stop() {
      return Math.round(((cpuSeconds(pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100);
    },
  };
}
