import type { TokenExpiringNotice } from '@taskdash/contract';
import { request } from './ack-request.util';
import type { ConnectionSupervisor } from './connection.supervisor';
import type { ResolvedRealtimeClientOptions } from './realtime-client.options';
import type { TokenExpiry, TokenProvider, TokenRefresh } from './realtime-client.types';
import { RealtimeException } from './realtime.exception';

/** Where the refresher reports what the app may want to see. */
export interface RefresherSink {
  expiring(expiry: TokenExpiry): void;
  refreshed(refresh: TokenRefresh): void;
  error(error: RealtimeException): void;
}

/** Thrown inside a run that a disconnect or `stop()` made pointless; never reported. */
class Abandoned extends Error {}

/**
 * Renews the live socket's token in place. On `token_expiring` it asks the token provider
 * for a token and sends `refresh_token`; a failed attempt (provider error, refusal, no
 * answer, a token that does not expire later) is retried with doubling delays while there
 * is time before `disconnectAt`. If every attempt fails, the server disconnects with
 * `token_expired` and the supervisor reconnects with a fresh handshake token. With a fixed
 * string token nothing can be renewed: the app is only told that the token expires.
 */
export class TokenRefresher {
  /** Changes whenever a running refresh must stop (a disconnect, `stop()`). */
  private run = 0;
  private running: TokenExpiringNotice | undefined;
  private wake: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly supervisor: ConnectionSupervisor,
    private readonly options: Pick<ResolvedRealtimeClientOptions, 'token' | 'tokenRefresh' | 'ackTimeoutMs'>,
    private readonly sink: RefresherSink,
  ) {}

  onExpiring(notice: TokenExpiringNotice): void {
    const { token } = this.options;
    const refreshable = typeof token === 'function';
    this.sink.expiring({ expiresAt: notice.expiresAt, disconnectAt: notice.disconnectAt, refreshable });
    if (!refreshable) return;
    if (this.running) {
      // The server repeats the warning after a refresh that did not extend the expiry; the
      // running refresh already retries with its own delays, so only the deadline moves.
      this.running = { ...this.running, disconnectAt: notice.disconnectAt };
      return;
    }
    this.running = notice;
    void this.refresh(token, ++this.run);
  }

  /** Abandons a running refresh; called when the socket goes offline or the client closes. */
  stop(): void {
    this.run++;
    this.running = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    this.wake = undefined;
  }

  private async refresh(provider: TokenProvider, run: number): Promise<void> {
    const { attempts, retryDelayMs } = this.options.tokenRefresh;
    const generation = this.supervisor.generation;
    let last: RealtimeException | undefined;
    try {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const expiresAt = await this.attempt(provider, run, generation);
          this.running = undefined;
          this.sink.refreshed({ expiresAt, attempts: attempt });
          return;
        } catch (error) {
          if (error instanceof Abandoned) throw error;
          last = toException(error);
          this.sink.error(last);
        }
        const remaining = this.current(run, generation).disconnectAt - Date.now();
        // Half of what is left at most, so the next attempt still lands before the deadline.
        const wait = Math.min(retryDelayMs * 2 ** (attempt - 1), remaining / 2);
        if (attempt === attempts || wait <= 0) break;
        await this.sleep(wait);
        this.current(run, generation);
      }
      this.running = undefined;
      const message = `Could not refresh the token before it expires (last error: ${last?.code ?? 'none'})`;
      this.sink.error(new RealtimeException('token_refresh_failed', message, { cause: last }));
    } catch (error) {
      if (!(error instanceof Abandoned)) throw error;
    }
  }

  /** One attempt: ask the provider, send the token, check the answer; resolves with the new expiry. */
  private async attempt(provider: TokenProvider, run: number, generation: number): Promise<number> {
    let token: string;
    try {
      token = await provider();
    } catch (error) {
      this.current(run, generation);
      throw new RealtimeException('token_provider_failed', 'The token provider failed', { cause: error });
    }
    const { expiresAt } = this.current(run, generation);
    const { socket } = this.supervisor;
    // socket.io-client would buffer the message for the next connection; never send it there.
    if (!socket.connected) throw new Abandoned();
    const { ackTimeoutMs } = this.options;
    const answer = await request(socket, 'refresh_token', { token }, ackTimeoutMs).catch((error: unknown) => {
      this.current(run, generation);
      throw new RealtimeException('timeout', `refresh_token was not acknowledged within ${ackTimeoutMs} ms`, {
        cause: error,
      });
    });
    this.current(run, generation);
    if (!answer.ok) throw RealtimeException.from(answer.error);
    if (!(answer.expiresAt > expiresAt)) {
      throw new RealtimeException(
        'token_not_renewed',
        'The token provider returned a token that expires no later than the current one',
      );
    }
    return answer.expiresAt;
  }

  /** The notice the run works on; throws `Abandoned` once the run or the connection is over. */
  private current(run: number, generation: number): TokenExpiringNotice {
    if (run !== this.run || generation !== this.supervisor.generation || !this.running) throw new Abandoned();
    return this.running;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }
}

function toException(error: unknown): RealtimeException {
  if (error instanceof RealtimeException) return error;
  return new RealtimeException('internal_error', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
