import { ErrorCode, type ErrorCode as Code } from '@taskdash/contract';
import type { ExtendedError } from 'socket.io';
import { AuthException } from '../../auth/auth.exception';
import type { JwtVerifierService } from '../../auth/jwt-verifier.service';
import type { Principal } from '../../auth/principal.types';
import type { SessionStateService } from '../../auth/session-state.service';
import type { ConnectionLimiter } from '../limits/connection-limiter';
import type { AppSocket } from '../socket.types';
import { admissionOf } from '../limits/transport-admission';
import { isOriginAllowed } from './origin.util';

/** Query parameters that look like credentials; their presence alone refuses the handshake. */
const QUERY_CREDENTIALS = ['token', 'access_token', 'accesstoken', 'jwt', 'auth', 'authorization', 'bearer'];

/** What a socket's `handshake.auth` is once its token was read. */
const NO_AUTH: Readonly<Record<string, never>> = Object.freeze({});

export type SocketMiddleware = (socket: AppSocket, next: (error?: ExtendedError) => void) => void;

export interface SocketAuthDependencies {
  verifier: JwtVerifierService;
  sessions: SessionStateService;
  limiter: ConnectionLimiter;
  allowedOrigins: string[];
  /** True while the node drains: new sockets are sent elsewhere. */
  isDraining?: () => boolean;
  /** Observes every refusal by code (for metrics). */
  onRejected?: (code: Code) => void;
}

const rejection = (code: Code, message: string): ExtendedError => {
  const error: ExtendedError = new Error(message);
  error.data = { code, message };
  return error;
};

/**
 * Admits a socket before it is connected (Nest guards do not run on connection): the
 * handshake rate per IP (decided at the transport, refused here with a clear code), the Origin check (here for every transport, WebSocket upgrades included,
 * because CORS only covers long-polling), the token from `auth.token` only (a credential in
 * the query string is refused outright so tokens never land in access logs), the server's
 * session state (revoked, disabled, role changes) and the per-user connection cap.
 * Refusals reach the client as `connect_error` with `err.data = { code, message }`.
 */
export function createSocketAuthMiddleware(deps: SocketAuthDependencies): SocketMiddleware {
  const refuse = (next: (error?: ExtendedError) => void, code: Code, message: string) => {
    deps.onRejected?.(code);
    next(rejection(code, message));
  };
  return (socket, next) => {
    // A verifier failure that is not a refusal still refuses; a session lookup's means "not now".
    const refuseFor = (error: unknown, otherwise: Code = ErrorCode.Unavailable) =>
      error instanceof AuthException
        ? refuse(next, error.code, error.message)
        : refuse(next, otherwise, otherwise === ErrorCode.Unavailable ? 'try again later' : 'token rejected');
    const refuseToken = (error: unknown) => refuseFor(error, ErrorCode.TokenInvalid);
    const { headers, query, auth, address } = socket.handshake;
    if (deps.isDraining?.()) return refuse(next, ErrorCode.ServerDraining, 'this node is shutting down; connect to another');
    // Decided at the transport handshake (transport-admission.ts); asked here only without it.
    const admission = admissionOf(socket.request) ?? (deps.limiter.allowHandshake(address) ? 'allowed' : 'refused');
    if (admission !== 'allowed') {
      refuse(next, ErrorCode.RateLimited, 'too many connection attempts; retry later');
      return closeAfterRefusal(socket);
    }
    if (!isOriginAllowed(headers.origin, deps.allowedOrigins, headers.host)) return refuse(next, ErrorCode.OriginNotAllowed, 'origin not allowed');
    if (Object.keys(query).some((key) => QUERY_CREDENTIALS.includes(key.toLowerCase()))) {
      return refuse(next, ErrorCode.TokenInQuery, 'send the token in auth.token, not in the query string');
    }
    let verified: Principal | Promise<Principal>;
    try {
      verified = deps.verifier.verify((auth as { token?: unknown } | undefined)?.token);
    } catch (error) {
      return refuseToken(error);
    }
    // Verified once, never needed again (a refresh brings its own token): the socket should
    // not carry the string for its whole life, nor hand it to other nodes with the handshake.
    socket.handshake.auth = NO_AUTH;
    const admit = (principal: Principal) =>
      deps.sessions.resolve(principal).then((current) => {
        if (!deps.limiter.hasRoomFor(current.userId)) {
          return refuse(next, ErrorCode.TooManyConnections, 'too many connections for this user');
        }
        socket.data.principal = current;
        socket.data.subscriptions = new Set();
        next();
      }, (error: unknown) => refuseFor(error));
    // Only a JWKS fetch (an unknown kid) makes verify asynchronous; a cached key does not wait.
    if (verified instanceof Promise) void verified.then(admit, refuseToken);
    else void admit(verified);
  };
}

/**
 * Closes the transport once the refusal went out: a refused connection holds nothing. Only
 * for refusals a client should back off from (the rate limit, a closed namespace); after an
 * auth refusal the client decides itself.
 */
export function closeAfterRefusal(socket: AppSocket): void {
  // Socket.IO sends the refusal on the next tick; Engine.IO flushes it before closing.
  setImmediate(() => socket.conn.close());
}

/**
 * Refuses every connection to a namespace other than `/events` (only the root `/` exists
 * besides it; Socket.IO answers unknown names with its own `Invalid namespace`, and closes
 * a connection that joined no namespace after `connectTimeout`).
 */
export function createClosedNamespaceMiddleware(onRejected?: (code: Code) => void): SocketMiddleware {
  return (socket, next) => {
    const limited = admissionOf(socket.request) === 'refused';
    const code = limited ? ErrorCode.RateLimited : ErrorCode.NamespaceClosed;
    onRejected?.(code);
    next(rejection(code, limited ? 'too many connection attempts; retry later' : 'only the /events namespace is served; connect to it'));
    closeAfterRefusal(socket);
  };
}
