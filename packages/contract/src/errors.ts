/**
 * Every error a client can receive, as a string code. The same codes are used in
 * `connect_error` (`err.data.code`), in negative acknowledgements (`{ ok: false, error }`),
 * in `disconnect_reason` messages and as subscription recovery reasons.
 *
 * `retry`: repeating the same request later may succeed.
 * `reconnect`: after a disconnect with this code the client should reconnect (and resume
 * from its positions); `false` means reconnecting with the same credentials is pointless.
 */
export const ErrorCode = {
  /** Handshake had no `auth.token`. Get a token and connect again. */
  TokenMissing: 'token_missing',
  /** The token was sent in the query string, where it would land in access logs. Use `auth.token`. */
  TokenInQuery: 'token_in_query',
  /** Signature, algorithm, issuer, audience or claims are wrong. Do not retry with this token. */
  TokenInvalid: 'token_invalid',
  /** The token's `exp` has passed (beyond the clock tolerance). Refresh the token, then reconnect. */
  TokenExpired: 'token_expired',
  /** The token (its `jti`) or all of the user's sessions were revoked. Sign in again. */
  TokenRevoked: 'token_revoked',
  /**
   * The token could not be checked: the identity provider's keys (JWKS) are not loaded yet,
   * or the token names a key the provider could not be asked about. Retry with backoff.
   */
  AuthUnavailable: 'auth_unavailable',
  /** The `Origin` header is not in the configured allow-list. Not retryable. */
  OriginNotAllowed: 'origin_not_allowed',
  /** Only the `/events` namespace is served; a connection to any other is refused and closed. */
  NamespaceClosed: 'namespace_closed',
  /** The user is disabled. Not retryable. */
  UserDisabled: 'user_disabled',
  /** The user already holds the maximum number of connections. Retry after closing one. */
  TooManyConnections: 'too_many_connections',
  /** Too many messages or connection attempts; slow down and retry after a pause. */
  RateLimited: 'rate_limited',
  /** The message does not match the contract (types, sizes, unknown fields). Fix the client. */
  InvalidMessage: 'invalid_message',
  /** The message is larger than the configured limit. Fix the client. */
  MessageTooLarge: 'message_too_large',
  /** The stream name is malformed. Fix the client. */
  InvalidStream: 'invalid_stream',
  /** The user may not see this stream (now). Not retryable until permissions change. */
  Forbidden: 'forbidden',
  /** The socket already holds the maximum number of subscriptions. Unsubscribe first. */
  TooManySubscriptions: 'too_many_subscriptions',
  /** The event store is unavailable or overloaded; nothing was lost. Retry with backoff. */
  Unavailable: 'unavailable',
  /**
   * A publish whose commit could not be confirmed in time (the database stopped answering
   * mid-write): it may or may not be stored. Retrying with the same event id is safe; a
   * stored event is still delivered.
   */
  OutcomeUnknown: 'outcome_unknown',
  /** An unexpected server error; the details are in the server log. Retry with backoff. */
  Internal: 'internal_error',
  /** Access to a stream was withdrawn while subscribed (sent in `access_revoked`). */
  AccessRevoked: 'access_revoked',
  /** The socket fell too far behind and was disconnected; reconnect and resume. */
  SlowConsumer: 'slow_consumer',
  /** The node is shutting down; reconnect (to another node) after the given delay and resume. */
  ServerDraining: 'server_draining',
  /** Replay: the position is older than the retained history. Reload state over HTTP. */
  HistoryExpired: 'history_expired',
  /** Replay: the stream's history was reset (epoch changed). Reload state over HTTP. */
  HistoryReset: 'history_reset',
  /** Replay: more events were missed than the replay cap allows. Reload state over HTTP. */
  TooManyMissed: 'too_many_missed',
  /** Replay: the position is ahead of the stream's head; it never came from this server. Reload. */
  PositionInvalid: 'position_invalid',
  /** Replay stopped because the user lost access to the stream during it. */
  PermissionLost: 'permission_lost',
  /** HTTP: the request body or parameters are invalid. Fix the request. */
  InvalidRequest: 'invalid_request',
  /** HTTP: the resource does not exist, or the caller may not know that it does. */
  NotFound: 'not_found',
  /**
   * HTTP: the job is not in a state that allows the action (retry a job that has not failed,
   * promote one that is not delayed, remove an active one). Reload the job; not retryable as is.
   */
  JobStateConflict: 'job_state_conflict',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorCodeInfo {
  /** Repeating the same request later may succeed. */
  readonly retry: boolean;
  /** After a disconnect with this code, reconnecting makes sense. */
  readonly reconnect: boolean;
  readonly description: string;
}

const info = (retry: boolean, reconnect: boolean, description: string): ErrorCodeInfo => ({
  retry,
  reconnect,
  description,
});

/** The documented meaning of every code; the AsyncAPI document is checked against it. */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  token_missing: info(false, false, 'The handshake carried no auth.token.'),
  token_in_query: info(false, false, 'A token was sent in the query string; send it in auth.token.'),
  token_invalid: info(false, false, 'The token failed verification (signature, algorithm, claims).'),
  token_expired: info(false, true, 'The token expired; refresh it and reconnect.'),
  token_revoked: info(false, false, 'The token or all sessions of the user were revoked.'),
  auth_unavailable: info(true, true, "The identity provider's keys could not be loaded; retry with backoff."),
  origin_not_allowed: info(false, false, 'The Origin header is not allowed.'),
  namespace_closed: info(false, false, 'Only the /events namespace is served; connect to it instead.'),
  user_disabled: info(false, false, 'The user is disabled.'),
  too_many_connections: info(true, true, 'The per-user connection limit is reached.'),
  rate_limited: info(true, true, 'Too many messages or connection attempts.'),
  invalid_message: info(false, true, 'The message does not match the contract.'),
  message_too_large: info(false, true, 'The message exceeds the size limit.'),
  invalid_stream: info(false, true, 'The stream name is malformed.'),
  forbidden: info(false, true, 'The user may not see this stream.'),
  too_many_subscriptions: info(false, true, 'The per-socket subscription limit is reached.'),
  unavailable: info(true, true, 'The event store is unavailable; nothing acknowledged was lost.'),
  outcome_unknown: info(true, true, 'The write may be stored; retrying with the same event id is safe.'),
  internal_error: info(true, true, 'Unexpected server error.'),
  access_revoked: info(false, true, 'Access to the stream was withdrawn.'),
  slow_consumer: info(true, true, 'The socket fell too far behind; reconnect and resume.'),
  server_draining: info(true, true, 'The node is shutting down; reconnect elsewhere and resume.'),
  history_expired: info(false, true, 'The position is older than the retained history.'),
  history_reset: info(false, true, 'The stream history was reset (epoch changed).'),
  too_many_missed: info(false, true, 'More events were missed than the replay cap.'),
  position_invalid: info(false, true, 'The position is ahead of the stream head.'),
  permission_lost: info(false, true, 'Access was lost during the replay.'),
  invalid_request: info(false, false, 'HTTP: the request body or parameters are invalid.'),
  not_found: info(false, false, 'HTTP: no such resource visible to the caller.'),
  job_state_conflict: info(false, false, 'HTTP: the job is not in a state that allows the action.'),
};

/** What every negative answer carries. Never a stack trace. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/** The reasons a subscription may come back with `recovered: false`. */
export const RECOVERY_FAILURES = [
  ErrorCode.HistoryExpired,
  ErrorCode.HistoryReset,
  ErrorCode.TooManyMissed,
  ErrorCode.PositionInvalid,
  ErrorCode.PermissionLost,
] as const;
export type RecoveryFailure = (typeof RECOVERY_FAILURES)[number];
