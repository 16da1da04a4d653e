import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Stops keeping HTTP connections alive, for a drain: every answer from now on closes its
 * connection, and idle connections close at once. Without it a client that keeps its
 * keep-alive connection busy (or a layer-4 load balancer forwarding on it) holds the server
 * open: `server.close()` waits for that connection, and the process for the shutdown
 * deadline, which it then leaves with exit code 1 before its last clean-up.
 */
export function stopKeepAlive(server: Server): void {
  // Before the app's own listener, so the header is set before any answer is written.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('connection', 'close');
  });
  server.closeIdleConnections();
}
