import { ALERT_SEVERITIES } from '@taskdash/contract';
import { z } from 'zod';

/**
 * What a rule can watch: values of one node's health sample. `*Down` are 1 while the probe
 * fails, else 0. `queue*` are evaluated per queue (the alert gets a `queue` label).
 */
export const HEALTH_METRICS = [
  'eventLoopLagP99Ms',
  'eventLoopUtilization',
  'heapUsedBytes',
  'rssBytes',
  'cpuPercent',
  'sockets',
  'publishBacklog',
  'postgresRttMs',
  'postgresDown',
  'redisRttMs',
  'redisDown',
  'queueWaiting',
  'queueFailed',
] as const;
export type HealthMetric = (typeof HEALTH_METRICS)[number];

/** An alert rule, as `ALERT_RULES` (a JSON array) gives it. */
export const AlertRuleSchema = z
  .object({
    /** Becomes the `alertname` label. Letters, digits and `_`. */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/),
    metric: z.enum(HEALTH_METRICS),
    /** `above`: fires when the value exceeds `threshold`; `below`: when it falls under it. @default above */
    op: z.enum(['above', 'below']).default('above'),
    threshold: z.number(),
    /**
     * Hysteresis: a firing alert clears only once the value is back beyond this (below it for
     * `above` rules), so a value hovering at the threshold does not flap.
     * @default threshold
     */
    clear: z.number().optional(),
    /** How long the condition must hold before the alert fires, in ms. @default 0 */
    forMs: z.number().int().min(0).max(86_400_000).default(0),
    severity: z.enum(ALERT_SEVERITIES).default('warning'),
    /** One line for the operator; `{value}` and `{threshold}` are filled in. */
    summary: z.string().max(300).optional(),
  })
  .refine(
    (r) => r.clear === undefined || (r.op === 'above' ? r.clear <= r.threshold : r.clear >= r.threshold),
    {
      message: 'clear must lie on the healthy side of threshold',
      path: ['clear'],
    },
  );
export type AlertRule = z.infer<typeof AlertRuleSchema>;

export const AlertRulesSchema = z
  .array(AlertRuleSchema)
  .max(100)
  .refine((rules) => new Set(rules.map((r) => r.name)).size === rules.length, 'rule names must be unique');

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Used when `ALERT_RULES` is not set. Thresholds are deliberately generous: an alert means act. */
export const DEFAULT_ALERT_RULES: AlertRule[] = [
  {
    name: 'EventLoopLagHigh',
    metric: 'eventLoopLagP99Ms',
    op: 'above',
    threshold: 200,
    clear: 100,
    forMs: 30 * SECOND,
    severity: 'warning',
  },
  {
    name: 'EventLoopSaturated',
    metric: 'eventLoopUtilization',
    op: 'above',
    threshold: 0.9,
    clear: 0.7,
    forMs: MINUTE,
    severity: 'critical',
  },
  {
    name: 'PublishBacklogHigh',
    metric: 'publishBacklog',
    op: 'above',
    threshold: 5000,
    clear: 1000,
    forMs: 30 * SECOND,
    severity: 'critical',
  },
  {
    name: 'PostgresDown',
    metric: 'postgresDown',
    op: 'above',
    threshold: 0.5,
    forMs: 20 * SECOND,
    severity: 'critical',
  },
  {
    name: 'PostgresSlow',
    metric: 'postgresRttMs',
    op: 'above',
    threshold: 500,
    clear: 200,
    forMs: MINUTE,
    severity: 'warning',
  },
  {
    name: 'RedisDown',
    metric: 'redisDown',
    op: 'above',
    threshold: 0.5,
    forMs: 20 * SECOND,
    severity: 'critical',
  },
  {
    name: 'HeapHigh',
    metric: 'heapUsedBytes',
    op: 'above',
    threshold: 1.5e9,
    clear: 1.2e9,
    forMs: 5 * MINUTE,
    severity: 'warning',
  },
  {
    name: 'QueueBacklogHigh',
    metric: 'queueWaiting',
    op: 'above',
    threshold: 1000,
    clear: 500,
    forMs: 5 * MINUTE,
    severity: 'warning',
  },
];

/** `ALERT_RULES`: a JSON array of rules, validated at start-up. */
export const AlertRulesEnvSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of alert rules' });
      return z.NEVER;
    }
  })
  .pipe(AlertRulesSchema);
