import { ErrorCode } from '@taskdash/contract';
import { io, type Socket } from 'socket.io-client';
import { delay, expectEventually } from '../../../../../test/eventually';
import { connected, startTestApp, type TestApp, type TestSocket } from '../../../../../test/test-app';
import { EventFanout } from '../delivery/event-fanout.service';

type Outcome = string;

/**
 * Only `/events` is served. The root namespace, which Socket.IO always has, refuses every
 * connection with `namespace_closed` and closes it; the per-address handshake limit runs at
 * the transport, before any namespace, so a flood on `/` is refused as one on `/events` is
 * and holds nothing afterwards.
 */
describe('namespaces other than /events', () => {
  let t: TestApp;
  let bystander: TestSocket;
  const opened: Socket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { CONNECTIONS_PER_SECOND_PER_IP: '8' } });
    bystander = t.connect(t.token('bystander'));
    await connected(bystander);
  });
  afterEach(() => opened.splice(0).forEach((socket) => socket.disconnect()));
  afterAll(() => t.close());

  const engineClients = () => t.app.get(EventFanout).attachedNamespace!.server.engine.clientsCount;
  /** Every open transport belongs to an `/events` socket: refused connections hold nothing. */
  const nothingHeld = () => expect(engineClients()).toBe(t.app.get(EventFanout).attachedNamespace!.sockets.size);
  const open = (namespace: string, auth?: Record<string, unknown>) => {
    const socket = io(`${t.url}${namespace}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...(auth && { auth }) });
    opened.push(socket);
    return socket;
  };
  /** The `connect_error` code (or message), or `transport` when the transport itself was refused. */
  const outcome = (socket: Socket): Promise<Outcome> =>
    new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
        resolve(error.data?.code ?? (error.message === 'websocket error' ? 'transport' : error.message)),
      );
    });

  it('the root namespace refuses a socket without a token with namespace_closed and closes its connection', async () => {
    const socket = open('/');
    expect(await outcome(socket)).toBe(ErrorCode.NamespaceClosed);
    await expectEventually(nothingHeld, 2_000);
  });

  it('the root namespace refuses a valid token too', async () => {
    expect(await outcome(open('/', { token: t.token('valid') }))).toBe(ErrorCode.NamespaceClosed);
  });

  it("an unknown namespace gets Socket.IO's own refusal", async () => {
    expect(await outcome(open('/admin', { token: t.token('valid') }))).toBe('Invalid namespace');
  });

  it('a flood of 300 root-namespace connections from one address: at most the budget gets through, nothing is held, /events serves again after a pause', async () => {
    const started = Date.now();
    const outcomes = await Promise.all(Array.from({ length: 300 }, () => outcome(open('/'))));
    const elapsedS = (Date.now() - started) / 1000;
    const counts = outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
    expect(counts.connected).toBeUndefined();
    // Burst 20 (2.5 s at 8/s) reach the namespace, plus what the budget refilled while the
    // flood lasted (a loaded machine stretches it); 20 more learn rate_limited, the rest are
    // refused by the transport.
    expect(counts[ErrorCode.NamespaceClosed]).toBeLessThanOrEqual(20 + Math.ceil(8 * elapsedS) + 1);
    expect(counts[ErrorCode.RateLimited]).toBeGreaterThan(0);
    expect(counts.transport).toBeGreaterThan(200);
    await expectEventually(nothingHeld, 3_000);
    expect(bystander.connected).toBe(true);

    // The address's budget refills at 8/s: a dashboard that backs off gets in.
    await delay(1_000);
    await expectEventually(async () => {
      const socket = t.connect(t.token('later'));
      opened.push(socket);
      await connected(socket);
    }, 5_000, 250);
  });
});
