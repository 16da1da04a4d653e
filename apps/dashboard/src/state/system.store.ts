import { isEvent, type AlertSeverity, type EventEnvelope, type EventPayloads } from '@taskdash/contract';
import type { AlertRecord } from '../api/api.types';
import { Emitter } from './emitter';

export type NodeHealth = EventPayloads['system.health'] & { at: string };

export interface AlertView {
  fingerprint: string;
  alertname: string;
  severity: AlertSeverity;
  summary: string;
  labels: Record<string, string>;
  startsAt: string;
  state: 'firing' | 'resolved';
  acknowledgedBy: string | null;
  resolvedAt: string | null;
}

/** Resolved alerts stay on the panel this long. */
const RESOLVED_VISIBLE_MS = 10 * 60_000;

/** The `system` stream for operators: each node's latest health, and the alerts. */
export class SystemStore extends Emitter {
  private readonly nodes = new Map<string, NodeHealth>();
  private readonly alerts = new Map<string, AlertView>();

  nodeHealth(): NodeHealth[] {
    return [...this.nodes.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  /** Firing first, then most recent. */
  alertList(now = Date.now()): AlertView[] {
    return [...this.alerts.values()]
      .filter((a) => a.state === 'firing' || now - Date.parse(a.resolvedAt ?? '') < RESOLVED_VISIBLE_MS)
      .sort((a, b) => (a.state === b.state ? b.startsAt.localeCompare(a.startsAt) : a.state === 'firing' ? -1 : 1));
  }

  /** Open alerts from `GET /alerts` (after sign-in or a reload). */
  loadAlerts(records: readonly AlertRecord[]): void {
    for (const [fingerprint, alert] of this.alerts) if (alert.state === 'firing') this.alerts.delete(fingerprint);
    for (const r of records) {
      this.alerts.set(r.fingerprint, {
        fingerprint: r.fingerprint, alertname: r.alertname, severity: r.severity, summary: r.summary, labels: r.labels,
        startsAt: r.startsAt, state: 'firing', acknowledgedBy: r.acknowledgedBy, resolvedAt: null,
      });
    }
    this.changed();
  }

  apply(event: EventEnvelope): void {
    if (isEvent(event, 'system.health')) {
      this.nodes.set(event.payload.nodeId, { ...event.payload, at: event.occurredAt });
    } else if (isEvent(event, 'system.alert_firing')) {
      const p = event.payload;
      const known = this.alerts.get(p.fingerprint);
      this.alerts.set(p.fingerprint, {
        fingerprint: p.fingerprint, alertname: p.alertname, severity: p.severity, summary: p.summary, labels: p.labels,
        startsAt: p.startsAt, state: 'firing', resolvedAt: null,
        acknowledgedBy: known?.state === 'firing' ? known.acknowledgedBy : null,
      });
    } else if (isEvent(event, 'system.alert_resolved')) {
      const known = this.alerts.get(event.payload.fingerprint);
      if (known) this.alerts.set(known.fingerprint, { ...known, state: 'resolved', resolvedAt: event.payload.resolvedAt });
    } else if (isEvent(event, 'system.alert_acknowledged')) {
      const known = this.alerts.get(event.payload.fingerprint);
      if (known) this.alerts.set(known.fingerprint, { ...known, acknowledgedBy: event.payload.acknowledgedBy });
    } else {
      return;
    }
    this.changed();
  }
}
