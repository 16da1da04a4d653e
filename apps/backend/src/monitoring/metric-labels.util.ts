import { ERROR_CODES, EVENT_TYPES } from '@taskdash/contract';

/**
 * Label values are drawn from closed sets so that the number of series never depends on
 * users, tasks or streams: anything outside the set is counted as `other`.
 */
export const OTHER = 'other';

export const bounded = (value: string, allowed: ReadonlySet<string>): string =>
  allowed.has(value) ? value : OTHER;

export const EVENT_TYPE_LABELS: ReadonlySet<string> = new Set(EVENT_TYPES);
export const ERROR_CODE_LABELS: ReadonlySet<string> = new Set(Object.keys(ERROR_CODES));

/** Socket.IO's disconnect reasons (v4.8), as snake_case labels. */
export const DISCONNECT_REASONS: ReadonlySet<string> = new Set([
  'io_server_disconnect',
  'io_client_disconnect',
  'server_namespace_disconnect',
  'client_namespace_disconnect',
  'ping_timeout',
  'transport_close',
  'transport_error',
  'parse_error',
  'forced_close',
  'forced_server_close',
  'server_shutting_down',
]);
export const disconnectReason = (reason: string): string =>
  bounded(reason.replace(/ /g, '_'), DISCONNECT_REASONS);

export const REPLAY_DECISIONS = [
  'recovered',
  'history_expired',
  'history_reset',
  'too_many_missed',
  'position_invalid',
  'permission_lost',
] as const;
export const REPLAY_ENDINGS = ['joined', 'permission_lost', 'history_expired', 'gone'] as const;
export const REVOCATION_KINDS = ['streams', 'streams_all', 'user', 'disconnect'] as const;
/** `skipped`: an execution viewer left its room until it drains; `disconnected`: a socket closed as `slow_consumer`. */
export const SLOW_VIEWER_ACTIONS = ['skipped', 'disconnected'] as const;
export type SlowViewerAction = (typeof SLOW_VIEWER_ACTIONS)[number];
export const PUBLISH_REJECTIONS = ['backpressure', 'store_timeout'] as const;
export const ALERT_SUPPRESSIONS = ['duplicate', 'group_wait', 'acknowledged'] as const;
export type AlertSuppression = (typeof ALERT_SUPPRESSIONS)[number];

/** Queue names come from configuration, but cap them anyway: a bug must not explode the series. */
export const MAX_QUEUE_LABELS = 50;
