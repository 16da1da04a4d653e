import type { AlertRule } from './alerts/alert-rule.schema';

/** Alerting: which rules, and how notices are de-duplicated (Alertmanager's vocabulary). */
export interface AlertOptions {
  rules: AlertRule[];
  /**
   * A new alert waits this long before its first notice, so the reports of every node join
   * one notice and a condition that clears inside the window is never announced. @default 30000
   */
  groupWindowMs: number;
  /** An unacknowledged alert that still fires is announced again after this long. @default 14400000 */
  repeatIntervalMs: number;
  /**
   * A node that has not reported a firing alert for this long no longer counts as firing it
   * (it crashed or was scaled away), so the alert can resolve. @default 3 sample intervals, at least 30 s
   */
  staleAfterMs: number;
}

/** Options of `MonitoringModule.forRoot`. */
export interface MonitoringOptions {
  /** Names this node in health snapshots and alerts. */
  nodeId: string;
  /** The revision `taskdash_build_info` reports; undefined: the checkout's commit. */
  buildRevision?: string | undefined;
  /** Off: no metric hooks in the event path and `/metrics` answers 404 (health sampling is separate). @default true */
  metricsEnabled: boolean;
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Health sampling interval in ms; 0 disables sampling (and with it the alert rules). @default 10000 */
  healthIntervalMs: number;
  /** Prefix of the Redis keys that share alert state between nodes. */
  redisKeyPrefix: string;
  alerts: AlertOptions;
}
