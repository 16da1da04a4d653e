import type { AlertSuppression } from '../metric-labels.util';

/** What every node agrees on about one open alert. */
export interface SharedAlert {
  alertId: string;
  alertname: string;
  /** ms since the epoch. */
  startsAt: number;
  /** Worst value reported since the alert opened. */
  worst: number;
  /** Nodes currently reporting it. */
  nodes: string[];
  /** Labels, severity, summary and threshold of the first report, as JSON (for whoever resolves it). */
  meta: string;
}

/** A report of a firing condition by one node, or a re-check after the group window (no node). */
export interface AlertReport {
  fingerprint: string;
  alertname: string;
  /** Undefined: a re-check, not a report. */
  nodeId: string | undefined;
  value: number;
  /** Used only when this report opens the alert. */
  alertId: string;
  meta: string;
  /** `above` rules keep the highest value as the worst, `below` rules the lowest. */
  op: 'above' | 'below';
}

export interface AlertWindows {
  groupWindowMs: number;
  repeatIntervalMs: number;
  staleAfterMs: number;
}

/** `notify`: this caller, and no other node, must publish a notice now. */
export type ReportOutcome =
  | { action: 'notify'; repeat: boolean; alert: SharedAlert }
  | { action: 'suppress'; reason: AlertSuppression; alert: SharedAlert }
  | { action: 'none' };

/** `resolve`: this caller, and no other node, must publish the resolved notice. */
export type ClearOutcome = { action: 'resolve'; alert: SharedAlert } | { action: 'dropped' | 'none' };

/**
 * The state that makes one alert one alert across nodes, changed only by atomic operations
 * (Lua in Redis, so two nodes can never both win a notice). Times come from the callers'
 * clocks, not from key expiry, so windows are exact and testable with fake timers; keys
 * still expire eventually so nothing is left behind.
 */
export interface AlertStateStore {
  report(report: AlertReport, now: number, windows: AlertWindows): Promise<ReportOutcome>;
  /** `nodeId` stopped seeing it (or, undefined, only stale nodes are dropped). */
  clear(
    fingerprint: string,
    nodeId: string | undefined,
    now: number,
    staleAfterMs: number,
  ): Promise<ClearOutcome>;
  /** Publishing the notice failed: let the next report claim it again. */
  release(fingerprint: string, repeat: boolean): Promise<void>;
  acknowledge(fingerprint: string): Promise<void>;
  /** Fingerprints of the open (pending or firing) alerts. */
  open(): Promise<string[]>;
}
