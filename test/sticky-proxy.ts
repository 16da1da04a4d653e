import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

export interface StickyProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * A layer-7 proxy in front of several backends that sends every request of one client to the
 * same backend, as nginx's `ip_hash` (or a cookie hash) does in production. All test clients
 * share 127.0.0.1, so the client names itself in a header (`x-sticky-key`, set with
 * socket.io-client's `extraHeaders`) and the proxy hashes that. Plain requests and WebSocket
 * upgrades alike.
 */
export async function startStickyProxy(targets: string[]): Promise<StickyProxy> {
  const pick = (req: IncomingMessage): URL => {
    const key = String(req.headers['x-sticky-key'] ?? req.socket.remoteAddress ?? '');
    return new URL(targets[stickyTarget(key, targets.length)]!);
  };
  const tunnels = new Set<Duplex>();
  const server: Server = createServer((req, res) => {
    const target = pick(req);
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const target = pick(req);
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    tunnels.add(socket).add(upstream);
    socket.on('close', () => tunnels.delete(socket));
    upstream.on('close', () => tunnels.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        tunnels.forEach((tunnel) => tunnel.destroy());
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The backend `startStickyProxy` sends a key to (to pick keys that land on different nodes). */
export function stickyTarget(key: string, count: number): number {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % count;
}
