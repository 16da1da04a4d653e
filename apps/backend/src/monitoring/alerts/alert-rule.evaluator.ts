import type { HealthSnapshot } from '../health/health-sampler.service';
import { fingerprintOf, type AlertLabels } from './alert-fingerprint.util';
import type { AlertRule, HealthMetric } from './alert-rule.schema';

/** One rule's condition on one series (a queue, or the node as a whole). */
export interface AlertCondition {
  rule: AlertRule;
  fingerprint: string;
  labels: AlertLabels;
  value: number;
  summary: string;
}

export interface Evaluation {
  /** Conditions that fire now (every sample while they hold, for the de-duplication to see). */
  firing: AlertCondition[];
  /** Conditions that fired and are back on the healthy side of `clear`. */
  cleared: AlertCondition[];
}

interface Series {
  labels: AlertLabels;
  /** Undefined: not measurable now (e.g. no round trip while down); the state is kept. */
  value: number | undefined;
}

interface RuleState {
  /** When the condition started to hold, while it waits out `forMs`. */
  since: number | undefined;
  firing: boolean;
  last: AlertCondition | undefined;
}

const one = (value: number | undefined): Series[] => [{ labels: {}, value }];

function seriesOf(metric: HealthMetric, s: HealthSnapshot): Series[] {
  switch (metric) {
    case 'eventLoopLagP99Ms':
      return one(s.eventLoop.lagP99Ms);
    case 'eventLoopUtilization':
      return one(s.eventLoop.utilization);
    case 'heapUsedBytes':
      return one(s.memory.heapUsedBytes);
    case 'rssBytes':
      return one(s.memory.rssBytes);
    case 'cpuPercent':
      return one(s.cpu.percent);
    case 'sockets':
      return one(s.sockets);
    case 'publishBacklog':
      return one(s.publishBacklog);
    case 'postgresRttMs':
      return one(s.postgres.rttMs);
    case 'postgresDown':
      return one(s.postgres.ok ? 0 : 1);
    case 'redisRttMs':
      return one(s.redis?.rttMs);
    case 'redisDown':
      return one(s.redis ? (s.redis.ok ? 0 : 1) : undefined);
    case 'queueWaiting':
      return s.queues.map((q) => ({ labels: { queue: q.queue }, value: q.waiting }));
    case 'queueFailed':
      return s.queues.map((q) => ({ labels: { queue: q.queue }, value: q.failed }));
  }
}

const breaches = (rule: AlertRule, value: number): boolean =>
  rule.op === 'above' ? value > rule.threshold : value < rule.threshold;
const recovered = (rule: AlertRule, value: number): boolean => {
  const clear = rule.clear ?? rule.threshold;
  return rule.op === 'above' ? value <= clear : value >= clear;
};

function summaryOf(rule: AlertRule, labels: AlertLabels, value: number): string {
  const shown = Math.round(value * 1000) / 1000;
  const template =
    rule.summary ??
    `${rule.metric}${labels.queue ? ` of queue ${labels.queue}` : ''} is ${shown}, ${rule.op} ${rule.threshold}`;
  return template
    .replace(/\{value\}/g, String(shown))
    .replace(/\{threshold\}/g, String(rule.threshold))
    .slice(0, 500);
}

/**
 * Applies the rules to one node's samples: a condition fires once it has held for `forMs`
 * and clears only once the value is back beyond `clear` (hysteresis). Purely local; the
 * engine de-duplicates across nodes.
 */
export class AlertRuleEvaluator {
  private readonly states = new Map<string, RuleState>();

  constructor(private readonly rules: readonly AlertRule[]) {}

  evaluate(sample: HealthSnapshot, now: number): Evaluation {
    const result: Evaluation = { firing: [], cleared: [] };
    for (const rule of this.rules) {
      const seen = new Set<string>();
      for (const series of seriesOf(rule.metric, sample)) {
        const labels: AlertLabels = { alertname: rule.name, severity: rule.severity, ...series.labels };
        const fingerprint = fingerprintOf(labels);
        seen.add(fingerprint);
        if (series.value === undefined) continue;
        this.step(rule, fingerprint, labels, series.value, now, result);
      }
      // A series that vanished (a queue removed) cannot keep an alert firing.
      for (const [fingerprint, state] of this.states) {
        if (state.last?.rule !== rule || seen.has(fingerprint)) continue;
        if (state.firing && state.last) result.cleared.push(state.last);
        this.states.delete(fingerprint);
      }
    }
    return result;
  }

  private step(
    rule: AlertRule,
    fingerprint: string,
    labels: AlertLabels,
    value: number,
    now: number,
    result: Evaluation,
  ): void {
    const state = this.states.get(fingerprint) ?? { since: undefined, firing: false, last: undefined };
    this.states.set(fingerprint, state);
    const condition: AlertCondition = {
      rule,
      fingerprint,
      labels,
      value,
      summary: summaryOf(rule, labels, value),
    };
    state.last = condition;
    if (state.firing) {
      if (recovered(rule, value)) {
        state.firing = false;
        state.since = undefined;
        result.cleared.push(condition);
      } else {
        result.firing.push(condition);
      }
      return;
    }
    if (!breaches(rule, value)) {
      state.since = undefined;
      return;
    }
    state.since ??= now;
    if (now - state.since >= rule.forMs) {
      state.firing = true;
      result.firing.push(condition);
    }
  }
}
