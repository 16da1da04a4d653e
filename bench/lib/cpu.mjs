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

/** Seconds the main thread of `pid` spent runnable but waiting for a CPU, or NaN. */
export function runQueueSeconds(pid) {
  const file = `/proc/${pid}/schedstat`;
  if (!existsSync(file)) return Number.NaN;
  // "<on-cpu ns> <waiting on a runqueue ns> <timeslices>"
  return Number(readFileSync(file, 'utf8').split(' ')[1]) / 1e9;
}

/**
 * Starts a meter of how long `pid`'s main thread (the event loop) waited for a CPU while
 * runnable; `stop()` returns it as a share of the elapsed time, in %. High values mean the
 * process was starved by other work on the machine rather than idle.
 */
export function waitMeter(pid) {
  const wait0 = runQueueSeconds(pid);
  const t0 = Date.now();
  return {
    stop() {
      return Math.round(((runQueueSeconds(pid) - wait0) / ((Date.now() - t0) / 1000)) * 100);
    },
  };
}
