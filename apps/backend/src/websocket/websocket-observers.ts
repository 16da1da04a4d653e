import { Injectable } from '@nestjs/common';

/**
 * Optional observers of what the socket edge refuses and enforces, for metrics. The module
 * itself knows nothing about metrics; monitoring fills these in at start-up.
 */
@Injectable()
export class WebsocketObservers {
  /** A handshake was refused with this code. */
  handshakeRejected: ((code: string) => void) | undefined;
  /** A client message was refused by the limits with this code. */
  messageRefused: ((code: string) => void) | undefined;
  /** A permission change of `kind` reached this node's sockets `latencyMs` after it happened. */
  revocationApplied: ((kind: string, latencyMs: number) => void) | undefined;
  /** A connected socket went away: Socket.IO's reason, and ours when the server closed it. */
  socketDisconnected: ((reason: string, code: string | undefined) => void) | undefined;
  /** A socket was closed for falling too far behind. */
  slowConsumer: (() => void) | undefined;
  /** An execution viewer that fell behind left its room until it drains (its output is skipped). */
  viewerSkipped: (() => void) | undefined;
}
