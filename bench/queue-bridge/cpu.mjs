// CPU time of the processes a benchmark round uses, read from /proc: on a shared machine
// wall-clock throughput follows the neighbours' load, CPU seconds per job much less so.
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a process in ms; 0 when it is gone or /proc is not there. */
function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving `database` (their pids change as pools open connections). */
async function backendPids(pg, database) {
  const { rows } = await pg.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows.map((row) => row.pid);
}

/**
 * Starts a CPU meter over this process, the Redis server `redisPid` (a private one, so
 * nobody else's commands count) and the database's backends. `stop()` returns ms per part.
 */
export async function cpuMeter({ pg, database, redisPid }) {
  const node0 = process.cpuUsage();
  const redis0 = redisPid ? processCpuMs(redisPid) : 0;
  const pids0 = await backendPids(pg, database);
  const pg0 = new Map(pids0.map((pid) => [pid, processCpuMs(pid)]));
  return {
    async stop() {
      const node = process.cpuUsage(node0);
      const pids = new Set([...pids0, ...(await backendPids(pg, database))]);
      let pgMs = 0;
      for (const pid of pids) pgMs += Math.max(0, processCpuMs(pid) - (pg0.get(pid) ?? 0));
      return {
        nodeMs: (node.user + node.system) / 1000,
        redisMs: redisPid ? processCpuMs(redisPid) - redis0 : null,
        pgMs,
      };
    },
  };
}
