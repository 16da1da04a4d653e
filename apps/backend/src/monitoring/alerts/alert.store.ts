import { Inject, Injectable } from '@nestjs/common';
import type { AlertSeverity } from '@taskdash/contract';
import type { PrismaClient } from '../../generated/prisma/client';
import type { EventTx } from '../../events/event-transactions.service';
import { PRISMA } from '../../database/database.types';
import type { AlertLabels } from './alert-fingerprint.util';

/** An alert occurrence as operators see it (`GET /alerts`). */
export interface AlertRecord {
  alertId: string;
  fingerprint: string;
  alertname: string;
  severity: AlertSeverity;
  labels: AlertLabels;
  summary: string;
  value: number;
  threshold: number;
  startsAt: string;
  lastNotifiedAt: string;
  notifications: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

export interface OpenedAlert {
  alertId: string;
  fingerprint: string;
  alertname: string;
  severity: AlertSeverity;
  labels: AlertLabels;
  summary: string;
  value: number;
  threshold: number;
  startsAt: Date;
  notifiedAt: Date;
}

/** What the alert engine records; `AlertStore` in the app, an in-memory fake in unit tests. */
export interface AlertHistory {
  /** The first notice of an occurrence; returns its id (an existing open row's, if there is one). */
  opened(alert: OpenedAlert, tx?: EventTx): Promise<string>;
  /** A repeated notice; returns the open occurrence's id, if any. */
  renotified(fingerprint: string, at: Date, value: number, tx?: EventTx): Promise<string | undefined>;
  /** Closes the open occurrence; returns its id, if there was one. */
  resolved(fingerprint: string, at: Date, tx?: EventTx): Promise<string | undefined>;
  isAcknowledged(fingerprint: string): Promise<boolean>;
  /** `changed: false` when it was acknowledged already; undefined when nothing is open. */
  acknowledge(
    fingerprint: string,
    userId: string,
    at: Date,
    tx?: EventTx,
  ): Promise<{ alert: AlertRecord; changed: boolean } | undefined>;
}

type Row = Awaited<ReturnType<PrismaClient['alert']['findFirstOrThrow']>>;

const toRecord = (row: Row): AlertRecord => ({
  alertId: row.id,
  fingerprint: row.fingerprint,
  alertname: row.alertname,
  severity: row.severity as AlertSeverity,
  labels: row.labels as AlertLabels,
  summary: row.summary,
  value: row.value,
  threshold: row.threshold,
  startsAt: row.startsAt.toISOString(),
  lastNotifiedAt: row.lastNotifiedAt.toISOString(),
  notifications: row.notifications,
  acknowledgedBy: row.acknowledgedBy,
  acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
});

// Upsert against the partial unique index (one open row per fingerprint): a row left open by a
// crash is taken over instead of failing the notice.
const OPEN_SQL = `
INSERT INTO alerts (id, fingerprint, alertname, severity, labels, summary, value, threshold, starts_at, last_notified_at)
VALUES ($1::uuid, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)
ON CONFLICT (fingerprint) WHERE resolved_at IS NULL
DO UPDATE SET last_notified_at = EXCLUDED.last_notified_at, notifications = alerts.notifications + 1, value = EXCLUDED.value
RETURNING id::text AS id`;

/**
 * Alert occurrences and their acknowledgements in PostgreSQL: the record operators rely on.
 * Each change takes the transaction its notice is stored in (`tx`), so a notice on the
 * `system` stream always has its row and a row change always has its notice.
 */
@Injectable()
export class AlertStore implements AlertHistory {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async opened(a: OpenedAlert, tx: EventTx = this.prisma): Promise<string> {
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      OPEN_SQL,
      a.alertId,
      a.fingerprint,
      a.alertname,
      a.severity,
      JSON.stringify(a.labels),
      a.summary,
      a.value,
      a.threshold,
      a.startsAt,
      a.notifiedAt,
    );
    return rows[0]?.id ?? a.alertId;
  }

  async renotified(
    fingerprint: string,
    at: Date,
    value: number,
    tx: EventTx = this.prisma,
  ): Promise<string | undefined> {
    const open = await this.findOpen(fingerprint, tx);
    if (!open) return undefined;
    await tx.alert.update({
      where: { id: open.id },
      data: { lastNotifiedAt: at, value, notifications: { increment: 1 } },
    });
    return open.id;
  }

  async resolved(fingerprint: string, at: Date, tx: EventTx = this.prisma): Promise<string | undefined> {
    const open = await this.findOpen(fingerprint, tx);
    if (!open) return undefined;
    await tx.alert.updateMany({
      where: { id: open.id, resolvedAt: null },
      data: { resolvedAt: at },
    });
    return open.id;
  }

  async isAcknowledged(fingerprint: string): Promise<boolean> {
    const open = await this.findOpen(fingerprint);
    return open !== null && open.acknowledgedAt !== null;
  }

  async acknowledge(
    fingerprint: string,
    userId: string,
    at: Date,
    tx: EventTx = this.prisma,
  ): Promise<{ alert: AlertRecord; changed: boolean } | undefined> {
    const open = await this.findOpen(fingerprint, tx);
    if (!open) return undefined;
    if (open.acknowledgedAt) return { alert: toRecord(open), changed: false };
    // Only one of two operators acknowledging at once changes the row (and announces it).
    const { count } = await tx.alert.updateMany({
      where: { id: open.id, acknowledgedAt: null },
      data: { acknowledgedBy: userId, acknowledgedAt: at },
    });
    const row = await tx.alert.findUniqueOrThrow({ where: { id: open.id } });
    return { alert: toRecord(row), changed: count === 1 };
  }

  /** Open occurrences, newest first; acknowledged ones only when asked. */
  async listOpen(includeAcknowledged: boolean, limit = 500): Promise<AlertRecord[]> {
    const rows = await this.prisma.alert.findMany({
      where: { resolvedAt: null, ...(includeAcknowledged ? {} : { acknowledgedAt: null }) },
      orderBy: { startsAt: 'desc' },
      take: limit,
    });
    return rows.map(toRecord);
  }

  private findOpen(fingerprint: string, db: EventTx = this.prisma): Promise<Row | null> {
    return db.alert.findFirst({ where: { fingerprint, resolvedAt: null } });
  }
}
