import type { ErrorCode, ErrorPayload } from '@taskdash/contract';

/**
 * Every code a client error can carry: the server's {@link ErrorCode}s plus the ones that
 * only the client can produce.
 * - `timeout`: the server did not acknowledge a request in time.
 * - `closed`: `close()` was called, or the connection failed, while the request waited.
 * - `cancelled`: the stream was unsubscribed (or its access revoked) while its subscribe waited.
 * - `reconnect_failed`: the configured number of reconnection attempts is used up.
 * - `token_provider_failed`: the token provider threw or rejected.
 * - `token_not_renewed`: a refresh succeeded, but the provider's token expires no later than
 *   the current one (the provider handed out its cached token); the refresh is retried.
 * - `token_refresh_failed`: every refresh attempt before the deadline failed; the server
 *   disconnects with `token_expired` and the client reconnects with a new handshake token.
 */
export type ClientErrorCode =
  | ErrorCode
  | 'timeout'
  | 'closed'
  | 'cancelled'
  | 'reconnect_failed'
  | 'token_provider_failed'
  | 'token_not_renewed'
  | 'token_refresh_failed';

/** `{ code, message }` like the server's {@link ErrorPayload}, with client codes allowed. */
export interface ClientErrorPayload {
  code: ClientErrorCode;
  message: string;
}

/**
 * The one error class of the client. Promises of `subscribe`/`unsubscribe` reject with it
 * and `on('error')` listeners receive it.
 *
 * @example
 * try { await client.subscribe('task:…'); }
 * catch (e) { if (e instanceof RealtimeException && e.code === 'timeout') retryLater(); }
 */
export class RealtimeException extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RealtimeException';
  }

  /** Wraps a server `{ code, message }` answer. */
  static from(payload: ErrorPayload | ClientErrorPayload): RealtimeException {
    return new RealtimeException(payload.code, payload.message);
  }

  toPayload(): ClientErrorPayload {
    return { code: this.code, message: this.message };
  }
}
