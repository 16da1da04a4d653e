import type { ManagerOptions } from 'socket.io-client';
import { MemoryPositionStore } from './memory-position.store';
import type { PositionStore } from './position-store.types';
import type { TokenProvider } from './realtime-client.types';

/**
 * Reconnection with jittered exponential backoff: attempt `n` waits
 * `min(delayMs * 2^n, delayMaxMs)`, moved randomly by up to `randomizationFactor` of itself
 * so that many clients dropped at once do not come back at once.
 */
export interface ReconnectionOptions {
  /**
   * Attempts before giving up (state `failed`, error `reconnect_failed`).
   * @default Infinity
   */
  attempts?: number;
  /**
   * Delay before the first attempt, in milliseconds.
   * @default 1000
   */
  delayMs?: number;
  /**
   * Upper bound of the delay, in milliseconds.
   * @default 10000
   */
  delayMaxMs?: number;
  /**
   * Share of the delay that is random, from 0 (none) to 1.
   * @default 0.5
   */
  randomizationFactor?: number;
}

/** Renewing the live socket's token when the server sends `token_expiring`. */
export interface TokenRefreshOptions {
  /**
   * Attempts per `token_expiring` before giving up (`token_refresh_failed`); the server
   * then disconnects and the client reconnects with a new handshake token.
   * @default 3
   */
  attempts?: number;
  /**
   * Delay before the second attempt, in milliseconds; it doubles for each further one and
   * is cut to half the time left before the server's `disconnectAt`.
   * @default 500
   */
  retryDelayMs?: number;
}

/**
 * Options of `RealtimeClient`.
 *
 * @example
 * new RealtimeClient({
 *   url: 'https://api.example.com',
 *   token: () => auth.getAccessToken(),
 *   positionStore: new LocalStoragePositionStore({ prefix: `taskdash:${userId}:` }),
 *   reconnection: { delayMaxMs: 30_000 },
 * });
 */
export interface RealtimeClientOptions {
  /**
   * The server's base URL, without the namespace (the client appends `/events`).
   * @example 'https://api.example.com'
   */
  url: string;
  /**
   * The access token, or a function returning it. A function is called before every
   * (re)connection attempt, and again when the server warns that the token expires
   * (`token_expiring`): the new token is sent with `refresh_token`, so the connection lives
   * on without a reconnect. A fixed string that expires makes the client `failed` (after a
   * `token_expiring` event with `refreshable: false`). The token travels in the handshake's
   * `auth` or in `refresh_token`, never in the query string.
   */
  token: string | TokenProvider;
  /**
   * Where the last position per stream is kept.
   * @default new MemoryPositionStore()
   */
  positionStore?: PositionStore;
  /**
   * Engine.IO transports, in order of preference.
   * @default ['websocket']
   */
  transports?: ('websocket' | 'polling' | 'webtransport')[];
  /**
   * The Socket.IO endpoint path on the server.
   * @default '/socket.io'
   */
  path?: string;
  /** Backoff between reconnection attempts. */
  reconnection?: ReconnectionOptions;
  /** Retries of an in-place token refresh (only with a token provider). */
  tokenRefresh?: TokenRefreshOptions;
  /**
   * How long to wait for the server to acknowledge a `subscribe`/`unsubscribe`, and for a
   * promised replay to arrive, in milliseconds.
   * @default 10000
   */
  ackTimeoutMs?: number;
  /**
   * How long one connection attempt may take, in milliseconds.
   * @default 20000
   */
  connectTimeoutMs?: number;
  /**
   * Further socket.io-client Manager options (e.g. `extraHeaders` in Node). `auth`,
   * `transports`, `path`, timeouts and reconnection settings are set from the options
   * above and win over values given here.
   * @default {}
   */
  managerOptions?: Partial<ManagerOptions>;
}

/** The options with every default filled in. */
export interface ResolvedRealtimeClientOptions {
  url: string;
  token: string | TokenProvider;
  positionStore: PositionStore;
  transports: ('websocket' | 'polling' | 'webtransport')[];
  path: string;
  reconnection: Required<ReconnectionOptions>;
  tokenRefresh: Required<TokenRefreshOptions>;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  managerOptions: Partial<ManagerOptions>;
}

export const DEFAULT_RECONNECTION: Readonly<Required<ReconnectionOptions>> = {
  attempts: Infinity,
  delayMs: 1_000,
  delayMaxMs: 10_000,
  randomizationFactor: 0.5,
};

export const DEFAULT_TOKEN_REFRESH: Readonly<Required<TokenRefreshOptions>> = {
  attempts: 3,
  retryDelayMs: 500,
};

export function resolveRealtimeClientOptions(options: RealtimeClientOptions): ResolvedRealtimeClientOptions {
  if (!options.url) throw new TypeError('RealtimeClient: options.url is required');
  if (typeof options.token !== 'string' && typeof options.token !== 'function') {
    throw new TypeError('RealtimeClient: options.token must be a string or a function');
  }
  const reconnection = { ...DEFAULT_RECONNECTION, ...stripUndefined(options.reconnection ?? {}) };
  if (reconnection.randomizationFactor < 0 || reconnection.randomizationFactor > 1) {
    throw new RangeError('RealtimeClient: reconnection.randomizationFactor must be between 0 and 1');
  }
  const tokenRefresh = { ...DEFAULT_TOKEN_REFRESH, ...stripUndefined(options.tokenRefresh ?? {}) };
  if (!Number.isInteger(tokenRefresh.attempts) || tokenRefresh.attempts < 1) {
    throw new RangeError('RealtimeClient: tokenRefresh.attempts must be a positive integer');
  }
  if (!(tokenRefresh.retryDelayMs >= 0)) {
    throw new RangeError('RealtimeClient: tokenRefresh.retryDelayMs must not be negative');
  }
  return {
    // The namespace is appended by the client; a trailing slash would make it `//events`.
    url: options.url.replace(/\/+$/, ''),
    token: options.token,
    positionStore: options.positionStore ?? new MemoryPositionStore(),
    transports: options.transports ?? ['websocket'],
    path: options.path ?? '/socket.io',
    reconnection,
    tokenRefresh,
    ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
    managerOptions: options.managerOptions ?? {},
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
