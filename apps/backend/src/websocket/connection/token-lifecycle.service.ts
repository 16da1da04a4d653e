import { ErrorCode, type RefreshTokenAck, type RefreshTokenRequest } from '@taskdash/contract';
import { AuthException } from '../../auth/auth.exception';
import type { JwtVerifierService } from '../../auth/jwt-verifier.service';
import type { SessionStateService } from '../../auth/session-state.service';
import type { AppSocket } from '../socket.types';
import type { TokenOptions } from '../websocket-options.types';
import { disconnectWithReason } from './disconnect.util';

/**
 * Tokens expire; connections live on. Shortly before expiry the socket gets
 * `token_expiring`; it answers with `refresh_token` and a new token, verified as fully as a
 * handshake (same subject required), and the session goes on with rooms untouched. A socket
 * that does not refresh is closed with `token_expired` once the grace period is over.
 */
export class TokenLifecycleService {
  constructor(
    private readonly verifier: JwtVerifierService,
    private readonly sessions: SessionStateService,
    private readonly options: TokenOptions,
    /** Called after a refresh changed the role, to re-check subscriptions. */
    private readonly onRoleChanged: (socket: AppSocket) => void,
  ) {}

  start(socket: AppSocket): void {
    this.stop(socket);
    const now = Date.now();
    const { expiresAt } = socket.data.principal;
    const disconnectAt = expiresAt + this.options.expiryGraceMs;
    const warnIn = Math.max(
      0,
      expiresAt - now - Math.min(this.options.refreshWarningMs, (expiresAt - now) / 2),
    );
    // One timer per socket, re-armed after the warning: thousands of idle sockets hold half as many.
    socket.data.timers.expiry = setTimeout(() => {
      socket.emit('token_expiring', { expiresAt, disconnectAt });
      socket.data.timers.expiry = setTimeout(
        () => disconnectWithReason(socket, ErrorCode.TokenExpired, 'token expired and was not refreshed'),
        Math.max(0, disconnectAt - Date.now()),
      );
    }, warnIn);
  }

  stop(socket: AppSocket): void {
    clearTimeout(socket.data.timers.expiry);
    socket.data.timers = {};
  }

  async refresh(socket: AppSocket, request: RefreshTokenRequest): Promise<RefreshTokenAck> {
    try {
      const next = await this.sessions.resolve(this.verifier.verify(request.token));
      if (next.userId !== socket.data.principal.userId) {
        // Someone else's token on this connection: never just refuse, close it.
        setImmediate(() =>
          disconnectWithReason(socket, ErrorCode.TokenInvalid, 'refresh token has another subject'),
        );
        return {
          ok: false,
          error: { code: ErrorCode.TokenInvalid, message: 'token subject does not match the connection' },
        };
      }
      const roleChanged = next.role !== socket.data.principal.role;
      socket.data.principal = next;
      this.start(socket);
      if (roleChanged) this.onRoleChanged(socket);
      return { ok: true, expiresAt: next.expiresAt };
    } catch (error) {
      if (error instanceof AuthException)
        return { ok: false, error: { code: error.code, message: error.message } };
      throw error;
    }
  }
}
