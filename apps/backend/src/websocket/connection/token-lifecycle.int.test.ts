import { ErrorCode, taskStream, type RefreshTokenAck } from '@taskdash/contract';
import { expectEventually } from '../../../../../test/eventually';
import { EventCollector, range, subscribe } from '../../../../../test/event-collector';
import { connected, startTestApp, type TestApp, type TestSocket } from '../../../../../test/test-app';

const refresh = (socket: TestSocket, token: string) =>
  new Promise<RefreshTokenAck>((resolve) => socket.emit('refresh_token', { token }, resolve));

describe('token refresh on a live socket', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Short tokens and a short grace, so five refresh cycles take seconds.
    t = await startTestApp({ env: { TOKEN_EXPIRY_GRACE_SEC: '1', JWT_CLOCK_TOLERANCE_SEC: '0' } });
  });
  afterAll(() => t.close());

  it('five refresh cycles with short-lived tokens: no reconnect, no missed event', async () => {
    const taskId = ((await t.http('POST', '/tasks', 'rita', { title: 'refresh' })).body as { id: string }).id;
    const socket = t.connect(t.token('rita', 'user', 3));
    const got = new EventCollector(socket);
    let connects = 0;
    socket.on('connect', () => connects++);
    await connected(socket);
    await subscribe(socket, [{ stream: taskStream(taskId) }]);
    let warnings = 0;
    socket.on('token_expiring', () => {
      warnings++;
      void refresh(socket, t.token('rita', 'user', 3));
    });
    let published = 1;
    while (warnings < 5) {
      await t.http('PATCH', `/tasks/${taskId}`, 'rita', { title: `tick ${published}` });
      published++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await expectEventually(() => expect(got.seqs(taskStream(taskId))).toEqual(range(2, published)));
    expect(socket.connected).toBe(true);
    expect(connects).toBe(1);
  });

  it("a refresh with another user's token is refused and the socket disconnected", async () => {
    const socket = t.connect(t.token('sam'));
    await connected(socket);
    const reason = new Promise<string>((resolve) => socket.once('disconnect_reason', (n) => resolve(n.code)));
    const answer = await refresh(socket, t.token('someone-else'));
    expect(answer).toEqual({ ok: false, error: { code: ErrorCode.TokenInvalid, message: expect.any(String) } });
    expect(await reason).toBe(ErrorCode.TokenInvalid);
    await expectEventually(() => expect(socket.connected).toBe(false));
  });

  it('a refresh with an invalid or malformed token is refused and the session keeps its old token', async () => {
    const socket = t.connect(t.token('sue'));
    await connected(socket);
    expect(await refresh(socket, 'garbage')).toMatchObject({ ok: false, error: { code: ErrorCode.TokenInvalid } });
    const malformed = await new Promise<RefreshTokenAck>((resolve) =>
      (socket.emit as unknown as (e: string, p: unknown, a: (x: RefreshTokenAck) => void) => void)('refresh_token', { token: 42 }, resolve),
    );
    expect(malformed).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidMessage } });
    expect(socket.connected).toBe(true);
  });

  it('without a refresh: disconnected within the grace period after expiry with token_expired, and no event after it', async () => {
    const taskId = ((await t.http('POST', '/tasks', 'nora', { title: 'expiry' })).body as { id: string }).id;
    const token = t.token('nora', 'user', 2);
    const expiresAt = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    const socket = t.connect(token);
    const got = new EventCollector(socket);
    await connected(socket);
    await subscribe(socket, [{ stream: taskStream(taskId) }]);
    const warned = new Promise<number>((resolve) => socket.once('token_expiring', (n) => resolve(n.expiresAt)));
    const notice = new Promise<{ code: string; at: number; events: number }>((resolve) =>
      socket.once('disconnect_reason', (n) => resolve({ code: n.code, at: Date.now(), events: got.all.length })),
    );
    expect(await warned).toBe(expiresAt);
    const { code, at, events } = await notice;
    expect(code).toBe(ErrorCode.TokenExpired);
    expect(at).toBeGreaterThanOrEqual(expiresAt);
    expect(at).toBeLessThan(expiresAt + 1000 + 1500); // grace is 1 s; generous for a loaded machine
    await t.http('PATCH', `/tasks/${taskId}`, 'nora', { title: 'after expiry' });
    await expectEventually(() => expect(socket.connected).toBe(false));
    expect(got.all).toHaveLength(events);
  });
});
