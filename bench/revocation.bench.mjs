// Revocation latency across nodes. Two backends (`node dist/main.js`, same database, same
// Redis under one key prefix) are nodes A and B. Clients hold sockets on B; permission
// changes are made over HTTP on A, one at a time, and we time from sending the request to
// the `access_revoked` notice arriving on B:
// - membership: the task's owner removes a member (`DELETE /tasks/:id/members/:userId`),
//   whose socket on B is subscribed to that task's stream;
// - role: an admin demotes an operator to user (`PUT /users/:id/role`), whose socket on B
//   is subscribed to `system` (operators and admins only).
// Each change has its own task or user, so no change waits for another.
import { performance } from 'node:perf_hooks';
import { rootRequire } from './lib/backend.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { benchRedis } from './lib/redis.mjs';
import { api, signToken, startBackend } from './lib/server.mjs';
import { percentile, round } from './lib/stats.mjs';

const { io } = rootRequire('socket.io-client');

const MEMBER_CHANGES = Number(process.env.BENCH_REVOCATION_CHANGES ?? 100);
const ROLE_CHANGES = Number(process.env.BENCH_REVOCATION_ROLE_CHANGES ?? 50);
const TARGET_P99_MS = 1000;
const NOTICE_TIMEOUT_MS = 10_000;

const log = (line) => console.error(`  ${line}`);

/** A socket on `url` subscribed to `stream`; resolves once the subscription is acknowledged. */
function subscribedSocket(url, token, stream) {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}/events`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token },
    });
    socket.once('connect_error', (error) =>
      reject(new Error(`connect failed: ${JSON.stringify(error.data ?? error.message)}`)),
    );
    socket.once('connect', () => {
      socket.timeout(30_000).emit('subscribe', { streams: [{ stream }] }, (error, answer) => {
        if (error) return reject(error);
        const result = answer.ok ? answer.results[0] : answer;
        if (!result?.ok)
          return reject(new Error(`subscribe to ${stream} refused: ${JSON.stringify(result)}`));
        resolve(socket);
      });
    });
  });
}

/** Resolves with the arrival time of `access_revoked` for `stream`, or Infinity after the timeout. */
function revokedAt(socket, stream) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('access_revoked', onNotice);
      resolve({ at: Number.POSITIVE_INFINITY });
    }, NOTICE_TIMEOUT_MS);
    function onNotice(notice) {
      if (notice.stream !== stream) return;
      clearTimeout(timer);
      socket.off('access_revoked', onNotice);
      resolve({ at: performance.now(), code: notice.code });
    }
    socket.on('access_revoked', onNotice);
  });
}

/** Runs the changes one by one: `change(i)` sends the request that must revoke `stream` of `sockets[i]`. */
async function measure(label, sockets, streams, change) {
  const noticeMs = [];
  const httpMs = [];
  const wrongCodes = [];
  for (let i = 0; i < sockets.length; i++) {
    const notice = revokedAt(sockets[i], streams[i]);
    const t0 = performance.now();
    const answered = change(i).then(() => performance.now() - t0);
    const [{ at, code }, ms] = await Promise.all([notice, answered]);
    noticeMs.push(at - t0);
    httpMs.push(ms);
    if (code !== undefined && code !== 'access_revoked') wrongCodes.push(code);
  }
  const missed = noticeMs.filter((ms) => !Number.isFinite(ms)).length;
  const result = {
    changes: sockets.length,
    missed,
    wrongCodes: wrongCodes.length,
    p50Ms: round(percentile(noticeMs, 50), 1),
    p99Ms: round(percentile(noticeMs, 99), 1),
    maxMs: round(Math.max(...noticeMs), 1),
    httpP50Ms: round(percentile(httpMs, 50), 1),
    httpP99Ms: round(percentile(httpMs, 99), 1),
  };
  log(
    `${label}: ${result.changes} changes on A -> access_revoked on B: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
      `max ${result.maxMs} ms (HTTP answer p50 ${result.httpP50Ms} ms)${missed ? `, ${missed} never arrived` : ''}`,
  );
  return result;
}

const target = (name, result) => ({
  name,
  measured: `p99 ${result.p99Ms} ms (p50 ${result.p50Ms}, max ${result.maxMs})${result.missed ? `, ${result.missed} missed` : ''}`,
  target: `p99 <= ${TARGET_P99_MS} ms`,
  pass: result.p99Ms <= TARGET_P99_MS && result.missed === 0 && result.wrongCodes === 0,
});

export async function run() {
  const db = await createBenchDatabase();
  const redis = benchRedis();
  const nodes = [];
  const sockets = [];
  try {
    const a = await startBackend(db.url, redis.env);
    nodes.push(a);
    const b = await startBackend(db.url, redis.env);
    nodes.push(b);

    const owner = signToken('rev-owner');
    const members = Array.from({ length: MEMBER_CHANGES }, (_, i) => `rev-member-${i}`);
    const tasks = [];
    for (const member of members) {
      tasks.push(
        (await api(a.url, 'POST', '/tasks', owner, { title: 'revocation bench', members: [member] })).id,
      );
    }
    const taskStreams = tasks.map((id) => `task:${id}`);
    const memberSockets = await Promise.all(
      members.map((member, i) => subscribedSocket(b.url, signToken(member), taskStreams[i])),
    );
    sockets.push(...memberSockets);
    const membership = await measure('membership', memberSockets, taskStreams, (i) =>
      api(a.url, 'DELETE', `/tasks/${tasks[i]}/members/${members[i]}`, owner),
    );

    const admin = signToken('rev-admin', 'admin');
    const operators = Array.from({ length: ROLE_CHANGES }, (_, i) => `rev-operator-${i}`);
    const operatorSockets = await Promise.all(
      operators.map((user) => subscribedSocket(b.url, signToken(user, 'operator'), 'system')),
    );
    sockets.push(...operatorSockets);
    const role = await measure(
      'role',
      operatorSockets,
      operators.map(() => 'system'),
      (i) => api(a.url, 'PUT', `/users/${operators[i]}/role`, admin, { role: 'user' }),
    );

    return {
      name: 'revocation',
      config: {
        memberChanges: MEMBER_CHANGES,
        roleChanges: ROLE_CHANGES,
        nodes: 2,
        changesOn: 'A',
        socketsOn: 'B',
      },
      membership,
      role,
      targets: [
        target(
          `revocation: member removed on node A -> access_revoked on node B (${MEMBER_CHANGES} changes)`,
          membership,
        ),
        target(
          `revocation: operator demoted on node A -> access_revoked on system, node B (${ROLE_CHANGES})`,
          role,
        ),
      ],
    };
  } finally {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.cleanup();
    await db.drop();
  }
}
