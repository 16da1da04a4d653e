import type { AlertSeverity } from '@taskdash/contract';

/** An open alert as `GET /alerts` returns it. */
export interface AlertRecord {
  alertId: string;
  fingerprint: string;
  alertname: string;
  severity: AlertSeverity;
  labels: Record<string, string>;
  summary: string;
  value: number;
  threshold: number;
  startsAt: string;
  lastNotifiedAt: string;
  notifications: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

/** Bytes `[from, to)` of an execution's log, of `total` so far. */
export interface OutputRange {
  from: number;
  to: number;
  total: number;
  bytes: Uint8Array;
  status: string;
}

export type JobAction = 'retry' | 'remove' | 'promote';
