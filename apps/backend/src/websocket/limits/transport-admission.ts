import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '@taskdash/contract';
import type { Server } from 'socket.io';
import type { ConnectionLimiter, TransportAdmission } from './connection-limiter';

/** Where the transport's verdict travels from the Engine.IO handshake to the namespace middleware. */
const ADMISSION = Symbol('taskdash.admission');
type AdmittedRequest = IncomingMessage & { [ADMISSION]?: TransportAdmission };

/**
 * Applies the per-address handshake limit at the Engine.IO handshake, before the client
 * names a namespace, so that every namespace (the root `/` included) is behind it and a
 * flood never gets as far as a Socket.IO connection. A handshake over the limit is still let
 * through while the address has clear refusals left, so that a client learns `rate_limited`
 * from its `connect_error` instead of a bare transport error; past those it is refused with
 * HTTP 403. Engine.IO asks only for new sessions, not for the requests of an open one.
 */
export function installTransportAdmission(server: Server, limiter: ConnectionLimiter, onDropped?: () => void): void {
  server.engine.opts.allowRequest = (request, callback) => {
    const admission = limiter.admitTransport(request.socket.remoteAddress ?? '');
    if (admission === 'dropped') {
      onDropped?.();
      return callback(`${ErrorCode.RateLimited}: too many connection attempts; retry later`, false);
    }
    (request as AdmittedRequest)[ADMISSION] = admission;
    callback(null, true);
  };
}

/** The verdict for the request a socket was opened with; undefined without the transport hook. */
export function admissionOf(request: IncomingMessage): TransportAdmission | undefined {
  return (request as AdmittedRequest)[ADMISSION];
}
