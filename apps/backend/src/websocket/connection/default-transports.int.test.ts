import {
  EVENTS_NAMESPACE,
  taskStream,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@taskdash/contract';
import { io, type Socket } from 'socket.io-client';
import { startBackendProcess, type BackendProcess } from '../../../../../test/backend-process';
import { EventCollector, subscribe } from '../../../../../test/event-collector';
import { expectEventually } from '../../../../../test/eventually';
import { startStickyProxy, stickyTarget, type StickyProxy } from '../../../../../test/sticky-proxy';
import { connected, startTestApp, type TestApp } from '../../../../../test/test-app';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * socket.io-client with its defaults, as Socket.IO's own documentation shows it: no
 * `transports` option, so it starts with HTTP long-polling and upgrades to WebSocket.
 */
function defaultClient(url: string, token: string, stickyKey?: string): ClientSocket {
  return io(`${url}${EVENTS_NAMESPACE}`, {
    auth: { token },
    forceNew: true,
    reconnection: false,
    ...(stickyKey ? { extraHeaders: { 'x-sticky-key': stickyKey } } : {}),
  });
}

const upgraded = (socket: ClientSocket) =>
  new Promise<string>((done) => {
    const engine = socket.io.engine;
    if (engine.transport.name === 'websocket') return done('websocket');
    engine.once('upgrade', (transport: { name: string }) => done(transport.name));
  });

describe('a default socket.io-client', () => {
  let b: TestApp;
  const sockets: ClientSocket[] = [];
  const open = (url: string, sub: string, stickyKey?: string) => {
    const socket = defaultClient(url, b.token(sub), stickyKey);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    b = await startTestApp({ redis: true });
  });
  afterEach(() => sockets.splice(0).forEach((socket) => socket.disconnect()));
  afterAll(() => b?.close());

  it('connects over long-polling, upgrades to WebSocket and receives its events', async () => {
    const taskId = ((await b.http('POST', '/tasks', 'pia', { title: 'defaults' })).body as { id: string }).id;
    const socket = open(b.url, 'pia');
    await connected(socket);
    const got = new EventCollector(socket);
    expect((await subscribe(socket, [{ stream: taskStream(taskId) }])).ok).toBe(true);
    expect(await upgraded(socket)).toBe('websocket');
    expect((await b.http('PUT', `/tasks/${taskId}/status`, 'pia', { status: 'done' })).status).toBe(200);
    await expectEventually(() =>
      expect(got.all.map((e) => [e.type, e.seq])).toEqual([['task.status_changed', 2]]),
    );
  });

  it('is refused with the same codes as over WebSocket (a bad token gets token_invalid)', async () => {
    const socket = defaultClient(b.url, 'not-a-jwt');
    sockets.push(socket);
    const error = await new Promise<Error & { data?: { code: string } }>((done) =>
      socket.once('connect_error', done),
    );
    expect(error.data?.code).toBe('token_invalid');
  });

  describe('with two nodes behind a sticky load balancer', () => {
    let a: BackendProcess;
    let proxy: StickyProxy;

    beforeAll(async () => {
      a = await startBackendProcess({
        DATABASE_URL: b.database.url,
        REDIS_KEY_PREFIX: b.runtime.config.redisKeyPrefix,
      });
      proxy = await startStickyProxy([b.url, a.url]);
    });
    afterAll(async () => {
      await proxy?.close();
      await a?.kill();
    });

    it('keeps each client on its node through the upgrade, and both get an event published once', async () => {
      // Two clients that the proxy's hash puts on different nodes.
      const keys = ['client-0', 'client-1', 'client-2', 'client-3', 'client-4'];
      const onB = keys.find((key) => stickyTarget(key, 2) === 0)!;
      const onA = keys.find((key) => stickyTarget(key, 2) === 1)!;
      const taskId = ((await b.http('POST', '/tasks', 'pia', { title: 'two nodes' })).body as { id: string })
        .id;
      const clients = [open(proxy.url, 'pia', onB), open(proxy.url, 'pia', onA)];
      const collectors = await Promise.all(
        clients.map(async (socket) => {
          await connected(socket);
          const got = new EventCollector(socket);
          expect((await subscribe(socket, [{ stream: taskStream(taskId) }])).ok).toBe(true);
          expect(await upgraded(socket)).toBe('websocket');
          return got;
        }),
      );
      // One socket on each node: the gauge each node exports counts its own.
      for (const url of [b.url, a.url]) {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(metrics).toMatch(/^taskdash_ws_connections 1$/m);
      }
      expect((await b.http('PUT', `/tasks/${taskId}/status`, 'pia', { status: 'blocked' })).status).toBe(200);
      for (const got of collectors) {
        await expectEventually(() =>
          expect(got.all.map((e) => [e.type, e.seq])).toEqual([['task.status_changed', 2]]),
        );
      }
    });
  });
});
