import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { stopKeepAlive } from './keep-alive.util';

function get(port: number, agent: Agent): Promise<IncomingMessage & { body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/', agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(Object.assign(response, { body })));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('stopKeepAlive', () => {
  let server: Server;
  let agent: Agent;
  let port: number;
  const sockets = new Set<Socket>();

  /** Lets the server's answers out; until then they wait, as an answer in progress does. */
  let release: () => void = () => undefined;
  let received: () => void = () => undefined;

  beforeEach(async () => {
    server = createServer((_req, res) => {
      received();
      const gate = new Promise<void>((resolve) => (release = resolve));
      void gate.then(() => res.end('ok'));
    });
    server.on('connection', (socket: Socket) => sockets.add(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => {
    release();
    agent.destroy();
    server.closeAllConnections();
    server.close();
    sockets.clear();
  });

  const answered = (pending: Promise<IncomingMessage & { body: string }>) => {
    release();
    return pending;
  };

  it('answers what comes next on a busy keep-alive connection with Connection: close, so the client no longer holds the server open', async () => {
    // A request in progress when the drain starts, and the client's next one on the same connection.
    const arrived = new Promise<void>((resolve) => (received = resolve));
    const inFlight = get(port, agent);
    await arrived;
    stopKeepAlive(server);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    expect((await answered(inFlight)).headers.connection).toBe('keep-alive');
    const next = get(port, agent);
    await new Promise<void>((resolve) => (received = resolve));
    const last = await answered(next);
    expect(last.body).toBe('ok');
    expect(last.headers.connection).toBe('close');
    expect(sockets.size).toBe(1); // the same connection carried both
    await closed; // and it is gone: close() resolves without a deadline
  });

  it('closes idle keep-alive connections at once', async () => {
    const pending = get(port, agent);
    await new Promise<void>((resolve) => (received = resolve));
    await answered(pending);
    const [socket] = [...sockets];
    const gone = once(socket!, 'close');
    stopKeepAlive(server);
    await gone;
  });
});
