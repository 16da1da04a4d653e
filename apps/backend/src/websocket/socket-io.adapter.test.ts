import { EventEmitter } from 'node:events';
import { of } from 'rxjs';
import { AppIoAdapter } from './socket-io.adapter';

type Bind = Parameters<AppIoAdapter['bindMessageHandlers']>;

const adapter = () =>
  new AppIoAdapter(undefined as never, {
    allowedOrigins: ['*'],
    transports: ['websocket'],
    maxHttpBufferSize: 65536,
    pingIntervalMs: 25_000,
    pingTimeoutMs: 20_000,
  });

const listeners = (socket: EventEmitter) => socket.eventNames().reduce((n, name) => n + socket.listenerCount(name), 0);

describe('AppIoAdapter', () => {
  it('binds nothing to a socket when the gateway has no message handlers, nor a disconnect hook', () => {
    const socket = new EventEmitter();
    const io = adapter();
    io.bindMessageHandlers(socket as unknown as Bind[0], [], (data) => of(data));
    io.bindClientDisconnect(socket, () => undefined);
    expect(listeners(socket)).toBe(0);
  });

  it('binds @SubscribeMessage handlers as Nest does when a gateway has some', () => {
    const socket = new EventEmitter();
    const answers: unknown[] = [];
    const handler = { message: 'ping', methodName: 'ping', callback: (data: unknown) => of(`pong ${String(data)}`), isAckHandledManually: false };
    adapter().bindMessageHandlers(socket as unknown as Bind[0], [handler], (data) => data as ReturnType<Bind[2]>);
    socket.emit('ping', ['x', (answer: unknown) => answers.push(answer)]);
    expect(answers).toEqual(['pong x']);
  });
});
