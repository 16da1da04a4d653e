import { ErrorCode, type RefreshTokenAck, type RefreshTokenRequest } from '@taskdash/contract';
import { AuthException } from '../../auth/auth.exception';
import type { JwtVerifierService } from '../../auth/jwt-verifier.service';
import type { SessionStateService } from '../../auth/session-state.service';
import type { AppSocket } from '../socket.types';
import type { TokenOptions } from '../websocket-options.types';
import { DeadlineWheel } from './deadline-wheel';
import { disconnectWithReason } from './disconnect.util';

/** Token checks fire at most this much after their time (warning and disconnect alike). */
const CHECK_RESOLUTION_MS = 250;

/**
 * Tokens expire; connections live on. Shortly before expiry the socket gets
 * `token_expiring`; it answers with `refresh_token` and a new token, verified as fully as a
 * handshake (same subject required), and the session goes on with rooms untouched. A socket
 * that does not refresh is closed with `token_expired` once the grace period is over.
 */
export class TokenLifecycleService {
  /** Every socket's next token check (the warning, then the disconnect) on one timer. */
  private readonly checks = new DeadlineWheel<AppSocket>(CHECK_RESOLUTION_MS, (socket) => this.due(socket));

  constructor(
    private readonly verifier: JwtVerifierService,
    private readonly sessions: SessionStateService,
    private readonly options: TokenOptions,
    /** Called after a refresh changed the role, to re-check subscriptions. */
    private readonly onRoleChanged: (socket: AppSocket) => void,
  ) {}

  /** Schedules the expiry warning of the socket's current token (again, after a refresh). */
  start(socket: AppSocket): void {
    this.stop(socket);
    const { expiresAt } = socket.data.principal;
    const left = Math.max(0, expiresAt - Date.now());
    socket.data.tokenCheck = this.checks.add(socket, expiresAt - Math.min(this.options.refreshWarningMs, left / 2));
  }

  stop(socket: AppSocket): void {
    if (socket.data.tokenCheck !== undefined) this.checks.remove(socket, socket.data.tokenCheck);
    socket.data.tokenCheck = undefined;
  }

  /**
   * A check is never early, so before the end of the grace period it is the warning (the
   * disconnect is then scheduled), after it the disconnect. A warning that comes due only
   * after the grace period (an event loop stalled that long) is skipped for the disconnect.
   */
  private due(socket: AppSocket): void {
    socket.data.tokenCheck = undefined;
    if (!socket.connected) return;
    const { expiresAt } = socket.data.principal;
    const disconnectAt = expiresAt + this.options.expiryGraceMs;
    if (Date.now() < disconnectAt) {
      socket.emit('token_expiring', { expiresAt, disconnectAt });
      socket.data.tokenCheck = this.checks.add(socket, disconnectAt);
      return;
    }
    disconnectWithReason(socket, ErrorCode.TokenExpired, 'token expired and was not refreshed');
  }

  async refresh(socket: AppSocket, request: RefreshTokenRequest): Promise<RefreshTokenAck> {
    try {
      const next = await this.sessions.resolve(await this.verifier.verify(request.token));
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
