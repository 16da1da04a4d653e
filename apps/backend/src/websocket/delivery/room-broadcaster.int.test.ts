import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventEnvelope } from '@taskdash/contract';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { expectEventually } from '../../../../../test/eventually';
import type { AppNamespace } from '../socket.types';
import { RoomBroadcaster } from './room-broadcaster';

const STREAM_A = 'task:00000000-0000-4000-8000-00000000000a';
const STREAM_B = 'task:00000000-0000-4000-8000-00000000000b';
const room = (stream: string) => `s:${stream}`;

const envelope = (stream: string, seq: number): EventEnvelope => ({
  id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
  stream,
  seq,
  epoch: '00000000-0000-4000-8000-0000000000ee',
  type: 'task.deleted',
  occurredAt: new Date(0).toISOString(),
  payload: { taskId: stream.slice('task:'.length) },
});

/** A client that records each message it gets, in order: `events` arrays and any other event by name. */
interface Receiver {
  socket: ClientSocket;
  messages: Array<EventEnvelope[] | string>;
}

describe('RoomBroadcaster (real Socket.IO server and clients)', () => {
  let http: HttpServer;
  let io: Server;
  let namespace: AppNamespace;
  let url: string;
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    http = createServer();
    io = new Server(http, { transports: ['websocket', 'polling'] });
    namespace = io.of('/events');
    namespace.on('connection', (socket) => {
      const rooms: string[] = socket.handshake.auth['rooms'];
      void socket.join(rooms);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    // A polling client closes with one more request; closing the server under it made that
    // request fail after Jest had torn the test down (and Jest exit non-zero): wait for it.
    await Promise.all(
      clients.map(
        (client) =>
          new Promise<void>((resolve) => {
            const engine = client.io.engine;
            if (engine.readyState === 'closed') resolve();
            else engine.once('close', () => resolve());
            client.disconnect();
          }),
      ),
    );
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });

  async function receiver(streams: string[], transports: Array<'websocket' | 'polling'> = ['websocket']): Promise<Receiver> {
    const socket = connect(`${url}/events`, { transports, forceNew: true, auth: { rooms: streams.map(room) } });
    clients.push(socket);
    const messages: Receiver['messages'] = [];
    socket.on('events', (events: EventEnvelope[]) => messages.push(events));
    socket.onAny((name: string) => {
      if (name !== 'events') messages.push(name);
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Joined on the server once the room shows the socket.
    await expectEventually(() => expect(namespace.adapter.rooms.get(room(streams[0]!))?.has(socket.id!)).toBe(true));
    return { socket, messages };
  }

  it('sends a lone run to every socket of its room, and nothing to others', async () => {
    const inA = await receiver([STREAM_A]);
    const inB = await receiver([STREAM_B]);
    const observed: Array<[number, number]> = [];
    const broadcaster = new RoomBroadcaster(namespace, (events, sockets) => observed.push([events.length, sockets]));
    broadcaster.emit([{ room: room(STREAM_A), events: [envelope(STREAM_A, 1), envelope(STREAM_A, 2)] }]);
    await expectEventually(() => expect(inA.messages).toHaveLength(1));
    expect(inA.messages[0]).toEqual([envelope(STREAM_A, 1), envelope(STREAM_A, 2)]);
    expect(inB.messages).toEqual([]);
    expect(observed).toEqual([[2, 1]]);
  });

  it("gives a socket in several runs' rooms one message holding each of its runs, in order", async () => {
    const both = await receiver([STREAM_A, STREAM_B]);
    const onlyB = await receiver([STREAM_B]);
    const overPolling = await receiver([STREAM_A, STREAM_B], ['polling']);
    const broadcaster = new RoomBroadcaster(namespace);
    const runA = [envelope(STREAM_A, 3)];
    const runB = [envelope(STREAM_B, 1), envelope(STREAM_B, 2)];
    broadcaster.emit([
      { room: room(STREAM_A), events: runA },
      { room: room(STREAM_B), events: runB },
    ]);
    await expectEventually(() => {
      expect(both.messages).toEqual([[...runA, ...runB]]);
      expect(onlyB.messages).toEqual([runB]);
      // Long-polling has no WebSocket frame to reuse: the packet goes through Engine.IO.
      expect(overPolling.messages).toEqual([[...runA, ...runB]]);
    });
  });

  it('never overtakes a packet already waiting in Engine.IO for the same socket', async () => {
    const client = await receiver([STREAM_A]);
    const socket = namespace.sockets.get(client.socket.id!)!;
    // The first write leaves the transport busy until its callback: the next packet waits
    // in Engine.IO's buffer, and the events written after it must arrive after it.
    socket.emit('token_expiring', { expiresAt: 0 } as never);
    socket.emit('access_revoked', { streams: [], reason: 'test' } as never);
    new RoomBroadcaster(namespace).emit([{ room: room(STREAM_A), events: [envelope(STREAM_A, 9)] }]);
    await expectEventually(() => expect(client.messages).toHaveLength(3));
    expect(client.messages).toEqual(['token_expiring', 'access_revoked', [envelope(STREAM_A, 9)]]);
  });
});
