import { ErrorCode, taskStream } from '@taskdash/contract';
import WebSocket from 'ws';
import { delay, expectEventually } from '../../../../../test/eventually';
import { EventCollector, subscribe } from '../../../../../test/event-collector';
import { connected, startTestApp, type TestApp } from '../../../../../test/test-app';
import { StreamDispatcher } from '../delivery/stream-dispatcher.service';
import { ConnectionLimiter } from '../limits/connection-limiter';
import { EventPublisher } from '../../events/event-publisher.service';
import { ConnectionManagerService } from './connection-manager.service';

const CYCLES_PER_USER = Number(process.env.CHURN_CYCLES_PER_USER ?? 1000);
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('connection hygiene', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { CONNECTIONS_PER_SECOND_PER_IP: '100000', MAX_OUTGOING_BYTES: '65536', VIEWER_MAX_BUFFER_BYTES: '32768' },
      websocket: { connections: { slowConsumerCheckMs: 50 }, streamLingerMs: 200 },
    });
  });
  afterAll(() => t.close());

  it('10,000 connect/subscribe/disconnect cycles: sockets, rooms, tracked streams, timers and listeners return to baseline', async () => {
    // 10,000 real handshakes with the clients in this same process: minutes, not seconds.
    const manager = t.app.get(ConnectionManagerService);
    const dispatcher = t.app.get(StreamDispatcher);
    const limiter = t.app.get(ConnectionLimiter);
    const users = Array.from({ length: 10 }, (_, i) => `churn-${i}`);
    const tasks = await Promise.all(users.map(async (u) => ((await t.http('POST', '/tasks', u, { title: 'churn' })).body as { id: string }).id));
    const namespace = (manager as unknown as { namespace: { listenerCount(e: string): number; adapter: { listenerCount(e: string): number } } }).namespace;
    const baseline = {
      stats: manager.stats(),
      streams: dispatcher.trackedStreams.length,
      limiter: limiter.sizes.users,
      timers: timers(),
      connectionListeners: namespace.listenerCount('connection'),
      roomListeners: namespace.adapter.listenerCount('delete-room'),
    };
    const tokens = users.map((u) => t.token(u));
    let cycles = 0;
    await Promise.all(
      users.map(async (_, worker) => {
        for (let i = 0; i < CYCLES_PER_USER; i++) {
          const socket = t.connect(tokens[worker]);
          await connected(socket);
          await subscribe(socket, [{ stream: taskStream(tasks[worker]!) }]);
          await new Promise<void>((resolve) => {
            socket.once('disconnect', () => resolve());
            socket.disconnect();
          });
          cycles++;
        }
      }),
    );
    expect(cycles).toBe(CYCLES_PER_USER * users.length);
    await expectEventually(() => {
      expect(manager.stats()).toEqual(baseline.stats);
      expect(dispatcher.trackedStreams.length).toBe(baseline.streams);
      expect(limiter.sizes.users).toBe(baseline.limiter);
      expect(namespace.listenerCount('connection')).toBe(baseline.connectionListeners);
      expect(namespace.adapter.listenerCount('delete-room')).toBe(baseline.roomListeners);
      expect(timers()).toBeLessThanOrEqual(baseline.timers + 2);
    });
  }, 300_000);

  it('a client that stops reading is disconnected once over the buffer limit; others are unaffected', async () => {
    const taskId = ((await t.http('POST', '/tasks', 'slow', { title: 'slow', members: ['fast'] })).body as { id: string }).id;
    const stream = taskStream(taskId);
    const fast = t.connect(t.token('fast'));
    const fastGot = new EventCollector(fast);
    await connected(fast);
    await subscribe(fast, [{ stream }]);

    // A raw WebSocket client speaking Engine.IO/Socket.IO by hand, so it can stop reading.
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const frames: string[] = [];
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      frames.push(text);
      if (text === '2') ws.send('3'); // heartbeat
    });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(`40/events,${JSON.stringify({ token: t.token('slow') })}`);
    await expectEventually(() => expect(frames.some((f) => f.startsWith('40/events'))).toBe(true));
    ws.send(`42/events,1${JSON.stringify(['subscribe', { streams: [{ stream }] }])}`);
    await expectEventually(() => expect(frames.some((f) => f.startsWith('43/events,1'))).toBe(true));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const publisher = t.app.get(EventPublisher);
    const big = 'x'.repeat(9000);
    const total = 1500; // ~13 MB: far past the 64 KiB limit plus what the kernel buffers
    for (let i = 0; i < total; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, () => publisher.publish({ stream, type: 'task.updated', payload: { taskId, changes: { description: big } } })),
      );
      await delay(5);
    }
    await expectEventually(() => expect(fastGot.seqs(stream)).toHaveLength(total), 20_000);
    const manager = t.app.get(ConnectionManagerService);
    expect(manager.stats().sockets).toBe(1); // only `fast` is left
    expect(fast.connected).toBe(true);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await expectEventually(() => expect(frames.some((f) => f.includes(`"code":"${ErrorCode.SlowConsumer}"`)) || ws.readyState === WebSocket.CLOSED).toBe(true));
    ws.terminate();
  });
});
