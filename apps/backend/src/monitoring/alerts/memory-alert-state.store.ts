import type {
  AlertReport,
  AlertStateStore,
  AlertWindows,
  ClearOutcome,
  ReportOutcome,
  SharedAlert,
} from './alert-state.types';

interface Entry {
  alert: Omit<SharedAlert, 'nodes'>;
  status: 'pending' | 'firing';
  notifiedAt: number;
  acknowledged: boolean;
  /** nodeId -> last report time. */
  nodes: Map<string, number>;
}

/**
 * Alert state of a single node (no Redis): the same rules as the Redis store's scripts, so
 * one test suite covers both.
 */
export class MemoryAlertStateStore implements AlertStateStore {
  private readonly entries = new Map<string, Entry>();

  async report(report: AlertReport, now: number, windows: AlertWindows): Promise<ReportOutcome> {
    let entry = this.entries.get(report.fingerprint);
    if (!entry) {
      if (report.nodeId === undefined) return { action: 'none' };
      const { alertId, alertname, value, meta } = report;
      entry = {
        alert: { alertId, alertname, startsAt: now, worst: value, meta },
        status: 'pending',
        notifiedAt: 0,
        acknowledged: false,
        nodes: new Map(),
      };
      this.entries.set(report.fingerprint, entry);
    } else if (report.nodeId !== undefined) {
      const worse =
        report.op === 'above' ? report.value > entry.alert.worst : report.value < entry.alert.worst;
      if (worse) entry.alert.worst = report.value;
    }
    if (report.nodeId !== undefined) entry.nodes.set(report.nodeId, now);
    dropStale(entry, now, windows.staleAfterMs);
    const alert = (): SharedAlert => ({ ...entry.alert, nodes: [...entry.nodes.keys()].sort() });
    if (entry.status === 'pending') {
      if (now - entry.alert.startsAt < windows.groupWindowMs)
        return { action: 'suppress', reason: 'group_wait', alert: alert() };
      entry.status = 'firing';
      entry.notifiedAt = now;
      return { action: 'notify', repeat: false, alert: alert() };
    }
    if (entry.acknowledged) return { action: 'suppress', reason: 'acknowledged', alert: alert() };
    if (now - entry.notifiedAt < windows.repeatIntervalMs)
      return { action: 'suppress', reason: 'duplicate', alert: alert() };
    entry.notifiedAt = now;
    return { action: 'notify', repeat: true, alert: alert() };
  }

  async clear(
    fingerprint: string,
    nodeId: string | undefined,
    now: number,
    staleAfterMs: number,
  ): Promise<ClearOutcome> {
    const entry = this.entries.get(fingerprint);
    if (!entry) return { action: 'none' };
    if (nodeId !== undefined) entry.nodes.delete(nodeId);
    dropStale(entry, now, staleAfterMs);
    if (entry.nodes.size > 0) return { action: 'none' };
    this.entries.delete(fingerprint);
    return entry.status === 'firing'
      ? { action: 'resolve', alert: { ...entry.alert, nodes: [] } }
      : { action: 'dropped' };
  }

  async release(fingerprint: string, repeat: boolean): Promise<void> {
    const entry = this.entries.get(fingerprint);
    if (!entry) return;
    if (repeat) entry.notifiedAt = 0;
    else entry.status = 'pending';
  }

  async acknowledge(fingerprint: string): Promise<void> {
    const entry = this.entries.get(fingerprint);
    if (entry) entry.acknowledged = true;
  }

  async open(): Promise<string[]> {
    return [...this.entries.keys()];
  }
}

function dropStale(entry: Entry, now: number, staleAfterMs: number): void {
  for (const [node, at] of entry.nodes) if (now - at > staleAfterMs) entry.nodes.delete(node);
}
