import { ErrorCode } from '@taskdash/contract';
import type { ExtendedError } from 'socket.io';
import { AuthException, type AuthErrorCode } from '../../auth/auth.exception';
import type { JwtVerifierService } from '../../auth/jwt-verifier.service';
import type { AppSocket } from '../socket.types';
import { isOriginAllowed } from './origin.util';

/** Query parameters that look like credentials; their presence alone refuses the handshake. */
const QUERY_CREDENTIALS = ['token', 'access_token', 'accesstoken', 'jwt', 'auth', 'authorization', 'bearer'];

export type SocketMiddleware = (socket: AppSocket, next: (error?: ExtendedError) => void) => void;

const reject = (code: AuthErrorCode, message: string): ExtendedError => {
  const error: ExtendedError = new Error(message);
  error.data = { code, message };
  return error;
};

/**
 * Authenticates a socket before it is connected (Nest guards do not run on connection).
 * The token comes from the handshake's `auth.token` only; a credential in the query string
 * is refused outright, so it never becomes a habit that leaks tokens into access logs.
 * The Origin check runs here for every transport, WebSocket upgrades included, because
 * CORS only covers long-polling. Rejections reach the client as `connect_error` with
 * `err.data = { code, message }`.
 */
export function createSocketAuthMiddleware(verifier: JwtVerifierService, allowedOrigins: string[]): SocketMiddleware {
  return (socket, next) => {
    const { headers, query, auth } = socket.handshake;
    if (!isOriginAllowed(headers.origin, allowedOrigins)) {
      next(reject(ErrorCode.OriginNotAllowed, 'origin not allowed'));
      return;
    }
    if (Object.keys(query).some((key) => QUERY_CREDENTIALS.includes(key.toLowerCase()))) {
      next(reject(ErrorCode.TokenInQuery, 'send the token in auth.token, not in the query string'));
      return;
    }
    try {
      socket.data.principal = verifier.verify((auth as { token?: unknown } | undefined)?.token);
    } catch (error) {
      if (error instanceof AuthException) next(reject(error.code, error.message));
      else next(reject(ErrorCode.TokenInvalid, 'token rejected'));
      return;
    }
    socket.data.subscriptions = new Set();
    socket.data.queue = Promise.resolve();
    next();
  };
}
