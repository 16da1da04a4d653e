import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Engine.IO answers these itself; a long-poll is held open up to PING_INTERVAL_MS and ends
 * when the Socket.IO server closes, so a drain does not wait for it.
 */
const ENGINE_IO_PATH = '/socket.io/';

/**
 * The HTTP side of a drain. `startDraining()` changes nothing a client can see except that
 * every answer from then on carries `Connection: close`: the listener still accepts and
 * every request, new or on a kept-alive connection, is served. So a load balancer can watch
 * readiness turn 503 and move its traffic, and keep-alive clients move with their next
 * answer. `closeListener()` then stops accepting, lets the requests in flight finish, and
 * only then closes the connections that are idle (between requests, never during one).
 *
 * Track from start-up (`new HttpDrain(server)` after `listen`): a request already in flight
 * when the drain starts must be known to be waited for and to get `Connection: close`.
 */
export class HttpDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private settledWaiter: (() => void) | undefined;

  constructor(private readonly server: Server) {
    // First of the request listeners (Engine.IO's included), so the header is set before any answer is written.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) =>
      this.track(request, response),
    );
  }

  /** Requests received and not yet answered (Engine.IO's long-polls aside). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Every answer from now on closes its connection; nothing is closed now. */
  startDraining(): void {
    this.draining = true;
    for (const response of this.inFlight) closeAfter(response);
  }

  /**
   * Stops accepting connections, waits up to `timeoutMs` for the requests in flight, then
   * closes the idle connections; what is still in flight then is cut. Resolves with how many
   * requests were cut.
   */
  async closeListener(timeoutMs: number): Promise<{ cut: number }> {
    this.startDraining();
    // Connections the kernel completed while this process was busy wait in its accept queue,
    // and closing the listener resets them (the client sees ECONNRESET, not a refusal). The
    // event loop runs timers before it accepts; an immediate runs right after it accepted.
    await new Promise((resolve) => setImmediate(resolve));
    // Closes the idle kept-alive connections too; a connection that has not sent its first
    // request yet is not idle to Node, so it stays open and its request is answered.
    this.server.close();
    await this.settled(timeoutMs);
    const cut = this.inFlight.size;
    // Answers whose headers went out before the drain left their connection kept alive.
    this.server.closeIdleConnections();
    if (cut > 0) this.server.closeAllConnections();
    return { cut };
  }

  private track(request: IncomingMessage, response: ServerResponse): void {
    if (this.draining) closeAfter(response);
    if (request.url?.startsWith(ENGINE_IO_PATH)) return;
    this.inFlight.add(response);
    response.once('close', () => {
      this.inFlight.delete(response);
      if (this.inFlight.size === 0) this.settledWaiter?.();
    });
  }

  private settled(timeoutMs: number): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.settledWaiter = done;
    });
  }
}

/** Node closes the connection after this answer; once its headers are out it is too late to ask. */
function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close');
}
