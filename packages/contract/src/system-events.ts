import { z } from 'zod';

const uuid = z.string().uuid();
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ms = z.number().min(0);
/** Backend node that took the sample or raised the alert (hostname:pid unless configured). */
const nodeId = z.string().min(1).max(128);
/** 16 hex digits of a hash of the alert's labels; the same condition has the same fingerprint on every node. */
const fingerprint = z.string().length(16);
const alertname = z.string().min(1).max(64);

export const ALERT_SEVERITIES = ['warning', 'critical'] as const;
export const AlertSeveritySchema = z.enum(ALERT_SEVERITIES);
export type AlertSeverity = z.infer<typeof AlertSeveritySchema>;

/** Labels that identify an alert (`alertname`, `severity`, rule-specific ones). Never user or task ids. */
const labels = z.record(z.string().max(64), z.string().max(128));

/** A dependency's round trip; `rttMs` is absent when the probe failed or timed out. */
const probe = z.object({ ok: z.boolean(), rttMs: ms.optional() });

/** Depth of one job queue, from whatever queue module registered a depth provider. */
const queueDepth = z.object({
  queue: z.string().min(1).max(64),
  waiting: count,
  active: count,
  delayed: count,
  failed: count,
});

const alertRef = { alertId: uuid, fingerprint, alertname };

/**
 * Health snapshots and alerts, all on the `system` stream (admins and operators only).
 * Alerts are de-duplicated across nodes: one condition raises one `system.alert_firing`,
 * repeated only after the repeat interval while unacknowledged, and one `system.alert_resolved`.
 */
export const SYSTEM_EVENT_PAYLOAD_SCHEMAS = {
  /** One node's health, sampled at an interval. Stream: `system`. */
  'system.health': z.object({
    nodeId,
    intervalMs: ms,
    eventLoop: z.object({ lagP50Ms: ms, lagP99Ms: ms, lagMaxMs: ms, utilization: z.number().min(0).max(1) }),
    memory: z.object({ heapUsedBytes: count, heapTotalBytes: count, rssBytes: count }),
    /** CPU time of the process over the interval, in percent of one core (may exceed 100). */
    cpu: z.object({ percent: ms }),
    /** Sockets connected to this node's `/events` namespace. */
    sockets: count,
    /** Events accepted by this node's publisher and not stored yet. */
    publishBacklog: count,
    postgres: probe,
    /** Absent when the backend runs without Redis. */
    redis: probe.optional(),
    queues: z.array(queueDepth).max(100),
    /** What taking this sample cost the node's event loop (synchronous work), in ms. */
    sampleCostMs: ms,
  }),
  /** An alert started firing, or is repeated because nobody acknowledged it. Stream: `system`. */
  'system.alert_firing': z.object({
    ...alertRef,
    severity: AlertSeveritySchema,
    labels,
    summary: z.string().max(500),
    /** Worst value reported while the notification was prepared. */
    value: z.number(),
    threshold: z.number(),
    startsAt: z.iso.datetime(),
    /** True for a repeat of an alert already announced. */
    repeat: z.boolean(),
    /** Nodes reporting the condition when this notice was sent. */
    nodes: z.array(nodeId).max(64),
  }),
  /** The condition cleared on every node that reported it. Stream: `system`. */
  'system.alert_resolved': z.object({
    ...alertRef,
    severity: AlertSeveritySchema,
    labels,
    startsAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime(),
  }),
  /** An operator acknowledged the alert; it is not repeated any more. Stream: `system`. */
  'system.alert_acknowledged': z.object({
    ...alertRef,
    acknowledgedBy: z.string().min(1).max(128),
    acknowledgedAt: z.iso.datetime(),
  }),
} as const;
