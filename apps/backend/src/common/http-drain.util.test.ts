import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { expectEventually } from '../../../../test/eventually';
import { HttpDrain } from './http-drain.util';

type Answer = IncomingMessage & { body: string; reused: boolean };

function get(port: number, agent: Agent, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path, agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(Object.assign(response, { body, reused: req.reusedSocket })));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HttpDrain', () => {
  let server: Server;
  let drain: HttpDrain;
  let agent: Agent;
  let port: number;
  const sockets = new Set<Socket>();
  /** Requests the handler holds: each waits until released, as an answer in progress does. */
  const held: Array<() => void> = [];
  let received: () => void = () => undefined;
  const nextRequest = () => new Promise<void>((resolve) => (received = resolve));
  const releaseAll = () => held.splice(0).forEach((release) => release());

  beforeEach(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hold' || req.url?.startsWith('/socket.io/')) held.push(() => res.end('held'));
      else res.end('ok');
      received();
    });
    drain = new HttpDrain(server);
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => {
    releaseAll();
    agent.destroy();
    server.closeAllConnections();
    if (server.listening) server.close();
  });

  it('while draining, keeps an idle kept-alive connection open and answers the next request on it with Connection: close', async () => {
    expect((await get(port, agent)).headers.connection).toBe('keep-alive');
    drain.startDraining();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets.size).toBe(1); // not closed under a client that may be sending on it
    const next = await get(port, agent);
    expect(next).toMatchObject({ body: 'ok', reused: true });
    expect(next.headers.connection).toBe('close');
  });

  it('gives a request already in flight when the drain starts Connection: close too', async () => {
    const arrived = nextRequest();
    const inFlight = get(port, agent, '/hold');
    await arrived;
    drain.startDraining();
    releaseAll();
    expect((await inFlight).headers.connection).toBe('close');
  });

  it('closeListener stops accepting, answers the request in flight, then resolves and closes the idle connections', async () => {
    expect((await get(port, agent)).headers.connection).toBe('keep-alive'); // one idle kept-alive connection
    const arrived = nextRequest();
    const inFlight = get(port, new Agent(), '/hold');
    await arrived;
    expect(drain.inFlightCount).toBe(1);
    let closed = false;
    const closing = drain.closeListener(5000).then((result) => ((closed = true), result));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refused = await new Promise<string>((resolve) =>
      connect(port, '127.0.0.1').on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')),
    );
    expect(refused).toBe('ECONNREFUSED');
    expect(closed).toBe(false); // waits for the answer in progress
    releaseAll();
    const answer = await inFlight;
    expect(answer).toMatchObject({ body: 'held' });
    expect(answer.headers.connection).toBe('close');
    await expect(closing).resolves.toEqual({ cut: 0 });
    await expectEventually(() => expect(sockets.size).toBe(0), 2000);
  });

  it('closeListener answers a request that arrives on a connection accepted just before the listener closed', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const closing = drain.closeListener(5000);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let raw = '';
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    await once(socket, 'end');
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw.toLowerCase()).toContain('connection: close');
    await expect(closing).resolves.toEqual({ cut: 0 });
  });

  it('closeListener cuts what is still in flight after its timeout, and says how many', async () => {
    const arrived = nextRequest();
    const stuck = get(port, new Agent(), '/hold').catch((error: Error) => error);
    await arrived;
    await expect(drain.closeListener(200)).resolves.toEqual({ cut: 1 });
    expect(await stuck).toMatchObject({ code: 'ECONNRESET' });
  });

  it('does not wait for Engine.IO long-polls: the Socket.IO server ends those', async () => {
    const arrived = nextRequest();
    void get(port, new Agent(), '/socket.io/?EIO=4&transport=polling').catch(() => undefined);
    await arrived;
    expect(drain.inFlightCount).toBe(0);
  });
});
