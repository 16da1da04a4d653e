import { ErrorCode, taskStream, type EventEnvelope } from '@taskdash/contract';
import { startBackendProcess, type BackendProcess } from '../../../../../test/backend-process';
import { delay, expectEventually } from '../../../../../test/eventually';
import { subscribe } from '../../../../../test/event-collector';
import { connectSocket, connected, startTestApp, type TestApp, type TestSocket } from '../../../../../test/test-app';
import { TEST_REDIS_TARGETS, redisEnv } from '../../../../../test/test-env';

interface Timeline {
  items: Array<{ kind: 'event'; event: EventEnvelope } | { kind: 'revoked'; stream: string; code: string }>;
}

function record(socket: TestSocket): Timeline {
  const timeline: Timeline = { items: [] };
  socket.on('events', (events) => events.forEach((event) => timeline.items.push({ kind: 'event', event })));
  socket.on('access_revoked', (notice) => timeline.items.push({ kind: 'revoked', stream: notice.stream, code: notice.code }));
  return timeline;
}

/**
 * Permission changes made on node A reach sockets on node B (a separate process) through
 * Redis: a standalone server, and a three-primary Redis Cluster the run started itself.
 */
describe.each(TEST_REDIS_TARGETS)('live permissions across two backend processes (Redis %s)', (redis) => {
  let a: TestApp;
  let b: BackendProcess;

  beforeAll(async () => {
    a = await startTestApp({ redis });
    b = await startBackendProcess({ DATABASE_URL: a.database.url, REDIS_KEY_PREFIX: a.runtime.config.redisKeyPrefix, ...redisEnv(redis) });
  });
  afterAll(async () => {
    await b?.kill();
    await a.close();
  });

  const onB = async (sub: string, role: 'user' | 'admin' = 'user') => {
    const socket = connectSocket(b.url, a.token(sub, role));
    await connected(socket);
    return socket;
  };

  it('removal from a task: no event of the task reaches the removed user on node B after access_revoked, even 10 ms later', async () => {
    for (let round = 0; round < 5; round++) {
      const created = await a.http('POST', '/tasks', 'olivia', { title: `r${round}`, members: ['rick', 'stay'] });
      const taskId = (created.body as { id: string }).id;
      const stream = taskStream(taskId);
      const rick = await onB('rick');
      const stay = await onB('stay');
      const rickSeen = record(rick);
      const staySeen = record(stay);
      await subscribe(rick, [{ stream }]);
      await subscribe(stay, [{ stream }]);
      await a.http('PATCH', `/tasks/${taskId}`, 'olivia', { title: 'before' });
      await expectEventually(() => expect(rickSeen.items.some((i) => i.kind === 'event' && i.event.type === 'task.updated')).toBe(true));

      const removal = a.http('DELETE', `/tasks/${taskId}/members/rick`, 'olivia');
      await delay(10);
      const afterChange = a.http('PATCH', `/tasks/${taskId}`, 'olivia', { description: '10 ms after' });
      expect((await removal).status).toBe(200);
      await afterChange;
      await a.http('PUT', `/tasks/${taskId}/status`, 'olivia', { status: 'done' });

      await expectEventually(() => expect(staySeen.items.filter((i) => i.kind === 'event' && i.event.type === 'task.status_changed')).toHaveLength(1));
      const revokedAt = rickSeen.items.findIndex((i) => i.kind === 'revoked');
      expect(revokedAt).toBeGreaterThan(0);
      expect(rickSeen.items[revokedAt]).toEqual({ kind: 'revoked', stream, code: ErrorCode.AccessRevoked });
      const leaked = rickSeen.items.slice(revokedAt + 1).filter((i) => i.kind === 'event' && i.event.stream === stream);
      expect(leaked).toEqual([]);
      // Replays respect the new permission too.
      const again = await subscribe(rick, [{ stream, position: { seq: 1, epoch: (rickSeen.items[0] as { event: EventEnvelope }).event.epoch } }]);
      expect(again.ok && again.results[0]).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } });
      rick.disconnect();
      stay.disconnect();
    }
  });

  it('a role change reaches live sockets on node B: operators losing the role lose the system stream', async () => {
    await a.http('PUT', '/users/opal/role', 'root', { role: 'operator' }, 'admin');
    const opal = await onB('opal');
    const seen = record(opal);
    const answer = await subscribe(opal, [{ stream: 'system' }]);
    expect(answer.ok && answer.results[0]?.ok).toBe(true);
    await a.http('PUT', '/users/opal/role', 'root', { role: 'user' }, 'admin');
    await expectEventually(() => expect(seen.items).toContainEqual({ kind: 'revoked', stream: 'system', code: ErrorCode.AccessRevoked }));
  });

  it('a revoked jti disconnects every socket using it on both processes, and reconnecting with it is refused', async () => {
    const token = a.token('tess');
    const onA = a.connect(token);
    const onNodeB = connectSocket(b.url, token);
    const other = connectSocket(b.url, a.token('tess'));
    await Promise.all([connected(onA), connected(onNodeB), connected(other)]);
    const reasons: string[] = [];
    for (const s of [onA, onNodeB]) s.on('disconnect_reason', (n) => reasons.push(n.code));
    const jti = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    const revoked = await a.http('POST', '/tokens/revoke', 'root', { userId: 'tess', jti }, 'admin');
    expect(revoked.status).toBe(204);
    await expectEventually(() => expect(onA.connected || onNodeB.connected).toBe(false));
    expect(reasons).toEqual([ErrorCode.TokenRevoked, ErrorCode.TokenRevoked]);
    expect(other.connected).toBe(true); // another token of the same user is untouched
    for (const url of [a.url, b.url]) {
      const retry = connectSocket(url, token);
      const error = await new Promise<{ data?: { code: string } }>((resolve) => retry.once('connect_error', resolve));
      expect(error.data?.code).toBe(ErrorCode.TokenRevoked);
    }
  });

  it('disabling a user disconnects their sockets on every node with user_disabled', async () => {
    const socket = await onB('dora');
    const reason = new Promise<string>((resolve) => socket.once('disconnect_reason', (n) => resolve(n.code)));
    await a.http('POST', '/users/dora/disable', 'root', undefined, 'admin');
    expect(await reason).toBe(ErrorCode.UserDisabled);
    const retry = connectSocket(b.url, a.token('dora'));
    const error = await new Promise<{ data?: { code: string } }>((resolve) => retry.once('connect_error', resolve));
    expect(error.data?.code).toBe(ErrorCode.UserDisabled);
  });
});
