// A reconnect storm onto a node that has just started (a deploy, a crash): every client
// reconnects and resumes its `user:` stream from the position it held (`subscribe` with a
// position, which must come back `recovered`). The users and their positions are made first
// on another node of the same database, which is then stopped, so the measured node starts
// cold: no stream tracked, nothing cached. Measured per round, on a fresh node each time:
// reconnects/s from the first connect to the last answer, and the CPU the node and
// PostgreSQL spent per reconnect (from /proc). The clients run in this process, 80 in flight.
import { execFileSync } from 'node:child_process';
import { cpuSeconds } from './lib/cpu.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { signToken, startLauncher } from './lib/server.mjs';
import { median, round } from './lib/stats.mjs';
import { connectProtocol } from './fanout/protocol-client.mjs';

const CLIENTS = Number(process.env.BENCH_RECONNECT_CLIENTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_RECONNECT_ROUNDS ?? 3);
const IN_FLIGHT = 80;
const log = (line) => console.error(`  ${line}`);
const ignore = () => undefined;

/** User+system CPU seconds of every PostgreSQL process (the server's backends included). */
function postgresSeconds() {
  const pids = execFileSync('pgrep', ['-x', 'postgres'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  return pids.reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0);
}

/** Runs `fn(i)` for every client, `IN_FLIGHT` at a time. */
async function inLanes(fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < CLIENTS) await fn(next++);
    }),
  );
}

async function subscribeOnce(url, token, request, localAddress) {
  const socket = await connectProtocol(url, {
    auth: { token },
    localAddress,
    onEvents: ignore,
    onCount: ignore,
  });
  const answer = await socket.emitWithAck('subscribe', { streams: [request] });
  const result = answer.ok ? answer.results[0] : answer;
  if (!result?.ok) throw new Error(`subscribe refused: ${JSON.stringify(result)}`);
  return { socket, result };
}

export async function run() {
  const db = await createBenchDatabase();
  const users = Array.from({ length: CLIENTS }, (_, i) => `storm-user-${i}`);
  const tokens = users.map((user) => signToken(user));
  const positions = new Array(CLIENTS);
  try {
    // The clients' first visit, on another node: each learns its stream's position.
    const first = await startLauncher(db.url, {}, { name: 'first-node' });
    const sockets = [];
    await inLanes(async (i) => {
      const { socket, result } = await subscribeOnce(
        first.url,
        tokens[i],
        { stream: `user:${users[i]}` },
        '127.0.4.1',
      );
      positions[i] = result.position;
      sockets.push(socket);
    });
    sockets.forEach((socket) => socket.disconnect());
    await first.stop();

    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const node = await startLauncher(db.url, {}, { name: `restarted-node-${r}` });
      const held = [];
      try {
        const [cpu0, pg0, t0] = [cpuSeconds(node.pid), postgresSeconds(), Date.now()];
        await inLanes(async (i) => {
          const request = { stream: `user:${users[i]}`, position: positions[i] };
          const { socket, result } = await subscribeOnce(node.url, tokens[i], request, `127.0.4.${2 + r}`);
          if (!result.recovered) throw new Error(`not recovered: ${JSON.stringify(result)}`);
          held.push(socket);
        });
        const ms = Date.now() - t0;
        const figures = {
          perSec: round((CLIENTS / ms) * 1000),
          serverUsPerReconnect: round(((cpuSeconds(node.pid) - cpu0) * 1e6) / CLIENTS),
          postgresUsPerReconnect: round(((postgresSeconds() - pg0) * 1e6) / CLIENTS),
        };
        log(
          `round ${r + 1}: ${CLIENTS} reconnects in ${ms} ms = ${figures.perSec}/s; CPU per reconnect: ` +
            `node ${figures.serverUsPerReconnect} µs, PostgreSQL ${figures.postgresUsPerReconnect} µs`,
        );
        rounds.push(figures);
      } finally {
        held.forEach((socket) => socket.disconnect());
        await node.stop();
      }
    }
    const mid = (key) => median(rounds.map((r) => r[key]));
    return {
      name: 'reconnect',
      config: { clients: CLIENTS, inFlight: IN_FLIGHT, rounds: ROUNDS },
      rounds,
      targets: [
        {
          name: `reconnect: ${CLIENTS} clients resuming their user stream on a node just started`,
          measured:
            `median ${mid('perSec')}/s (${rounds.map((r) => r.perSec).join('/')}); CPU per reconnect: ` +
            `node ${mid('serverUsPerReconnect')} µs, PostgreSQL ${mid('postgresUsPerReconnect')} µs`,
          target: 'reported',
          info: true,
          pass: true,
        },
      ],
    };
  } finally {
    await db.drop();
  }
}
