import type {
  ErrorCode,
  EventEnvelope,
  OutputSkippedNotice,
  RecoveryFailure,
  StreamPosition,
} from '@taskdash/contract';
import type { ClientErrorPayload, RealtimeException } from './realtime.exception';

/**
 * - `connecting`: the first connection is being made.
 * - `connected`: connected for the first time (and the streams asked for so far are subscribed).
 * - `reconnecting`: the connection was lost; the client is waiting to reconnect or reconnecting.
 * - `resumed`: reconnected, and every remembered stream was subscribed again from its position.
 * - `disconnected`: not started yet, or `close()` was called.
 * - `failed`: the server refused in a way reconnecting cannot fix (see `StateChange.error`);
 *   call `connect()` again once the cause is fixed (e.g. with a new token).
 */
export type ConnectionState =
  'connecting' | 'connected' | 'reconnecting' | 'resumed' | 'disconnected' | 'failed';

/** What `on('state')` listeners receive. */
export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Why the connection was lost or failed, when the server or the client said so. */
  error?: ClientErrorPayload;
}

/**
 * Why a stream's state must be reloaded: a recovery failure reported by the server, or
 * `gap` when the client itself saw a hole in the sequence (a live epoch change is
 * reported as `history_reset`).
 */
export type ReloadReason = RecoveryFailure | 'gap';

/**
 * Tells the app that events of `stream` were missed and will not be delivered: load the
 * stream's state over HTTP. Events after `position` keep being delivered.
 */
export interface ReloadNotice {
  stream: string;
  reason: ReloadReason;
  /**
   * The position the client continues from: events with a greater `seq` keep being delivered.
   * An app that reloads should apply only events newer than what its reload returned.
   */
  position: StreamPosition;
}

/** The server removed the socket from a stream; the client forgot the stream. */
export interface AccessRevokedNotice {
  stream: string;
  code: ErrorCode;
  message: string;
}

/** An automatic re-subscribe (after a reconnect) was refused; the stream is forgotten. */
export interface SubscriptionFailure {
  stream: string;
  error: ClientErrorPayload;
}

/**
 * Returns the access token; called before every connection attempt and on every
 * `token_expiring`, so it can hand out a fresh token. It should return a token that expires
 * later than the one it returned before once that one is about to expire.
 */
export type TokenProvider = () => string | Promise<string>;

/** What `on('token_expiring')` listeners receive (times in ms since the epoch, server clock). */
export interface TokenExpiry {
  /** Expiry of the socket's current token. */
  expiresAt: number;
  /** After this moment the server disconnects the socket unless its token was refreshed. */
  disconnectAt: number;
  /**
   * Whether the client refreshes by itself (the `token` option is a provider). `false` for a
   * fixed string token: the connection fails with `token_expired` after `disconnectAt`.
   */
  refreshable: boolean;
}

/** What `on('token_refreshed')` listeners receive. */
export interface TokenRefresh {
  /** Expiry of the new token, in ms since the epoch. */
  expiresAt: number;
  /** How many attempts it took (1 unless some failed). */
  attempts: number;
}

export type StreamListener = (event: EventEnvelope) => void;

/** The events of `RealtimeClient.on(...)` and their listeners. */
export interface RealtimeClientEvents {
  /** Every delivered event of every stream, in `seq` order per stream. */
  event: (event: EventEnvelope) => void;
  state: (change: StateChange) => void;
  reload: (notice: ReloadNotice) => void;
  access_revoked: (notice: AccessRevokedNotice) => void;
  subscription_failed: (failure: SubscriptionFailure) => void;
  /** The socket's token expires soon; a token provider is asked for a new one right away. */
  token_expiring: (expiry: TokenExpiry) => void;
  /**
   * The server skipped events of an execution stream for this connection (it fell behind,
   * or a catch-up found them purged); their output is bytes `[from, to)` of the log, to
   * fetch over HTTP. Later events continue after `toSeq` without a reload notice.
   */
  output_skipped: (notice: OutputSkippedNotice) => void;
  /** The live socket now runs on a new token, without a reconnect. */
  token_refreshed: (refresh: TokenRefresh) => void;
  /**
   * Server `error` messages, refused handshakes, token provider and listener failures, and
   * failed token refresh attempts (`token_refresh_failed` once all of them failed).
   */
  error: (error: RealtimeException) => void;
}

/** Options of `RealtimeClient.subscribe`. */
export interface SubscribeOptions {
  /** Where to start, per stream (a snapshot's position); other streams resume as usual. */
  from?: Readonly<Record<string, StreamPosition | undefined>>;
}
