import type { HealthSnapshot } from '../health/health-sampler.service';
import { AlertRuleEvaluator } from './alert-rule.evaluator';
import { AlertRulesEnvSchema, type AlertRule } from './alert-rule.schema';

const sample = (lag: number, queues: HealthSnapshot['queues'] = []): HealthSnapshot => ({
  nodeId: 'n1',
  intervalMs: 1000,
  eventLoop: { lagP50Ms: 1, lagP99Ms: lag, lagMaxMs: lag, utilization: 0.1 },
  memory: { heapUsedBytes: 1, heapTotalBytes: 2, rssBytes: 3 },
  cpu: { percent: 5 },
  sockets: 0,
  publishBacklog: 0,
  postgres: { ok: true, rttMs: 1 },
  queues,
  sampleCostMs: 0.1,
});
const LAG: AlertRule = {
  name: 'Lag',
  metric: 'eventLoopLagP99Ms',
  op: 'above',
  threshold: 200,
  clear: 100,
  forMs: 3000,
  severity: 'warning',
};
const names = (conditions: { rule: AlertRule }[]) => conditions.map((c) => c.rule.name);

describe('AlertRuleEvaluator', () => {
  it('fires only once the condition has held for the rule duration', () => {
    const evaluator = new AlertRuleEvaluator([LAG]);
    expect(evaluator.evaluate(sample(300), 0).firing).toEqual([]);
    expect(evaluator.evaluate(sample(300), 2000).firing).toEqual([]);
    expect(names(evaluator.evaluate(sample(300), 3000).firing)).toEqual(['Lag']);
  });

  it('restarts the duration when the condition breaks before it elapsed', () => {
    const evaluator = new AlertRuleEvaluator([LAG]);
    evaluator.evaluate(sample(300), 0);
    evaluator.evaluate(sample(50), 2000);
    expect(evaluator.evaluate(sample(300), 4000).firing).toEqual([]);
    expect(names(evaluator.evaluate(sample(300), 7000).firing)).toEqual(['Lag']);
  });

  it('keeps firing between the clear and fire thresholds (hysteresis) and clears below clear', () => {
    const evaluator = new AlertRuleEvaluator([{ ...LAG, forMs: 0 }]);
    expect(names(evaluator.evaluate(sample(250), 0).firing)).toEqual(['Lag']);
    const hovering = evaluator.evaluate(sample(150), 1000);
    expect([names(hovering.firing), hovering.cleared]).toEqual([['Lag'], []]);
    const cleared = evaluator.evaluate(sample(90), 2000);
    expect([cleared.firing, names(cleared.cleared)]).toEqual([[], ['Lag']]);
    expect(evaluator.evaluate(sample(150), 3000)).toEqual({ firing: [], cleared: [] });
  });

  it('watches each queue separately and clears the alert of a queue that disappeared', () => {
    const rule: AlertRule = {
      name: 'Backlog',
      metric: 'queueWaiting',
      op: 'above',
      threshold: 10,
      forMs: 0,
      severity: 'critical',
    };
    const evaluator = new AlertRuleEvaluator([rule]);
    const q = (queue: string, waiting: number) => ({ queue, waiting, active: 0, delayed: 0, failed: 0 });
    const first = evaluator.evaluate(sample(0, [q('a', 50), q('b', 1)]), 0);
    expect(first.firing.map((c) => c.labels)).toEqual([
      { alertname: 'Backlog', severity: 'critical', queue: 'a' },
    ]);
    const gone = evaluator.evaluate(sample(0, [q('b', 1)]), 1000);
    expect(gone.cleared.map((c) => c.labels.queue)).toEqual(['a']);
  });

  it('gives the same condition the same fingerprint on every node', () => {
    const a = new AlertRuleEvaluator([{ ...LAG, forMs: 0 }]).evaluate({ ...sample(300), nodeId: 'n1' }, 0);
    const b = new AlertRuleEvaluator([{ ...LAG, forMs: 0 }]).evaluate({ ...sample(900), nodeId: 'n2' }, 0);
    expect(a.firing[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.firing[0]?.fingerprint).toBe(b.firing[0]?.fingerprint);
  });
});

describe('ALERT_RULES', () => {
  it('accepts a JSON array of rules with defaults filled in', () => {
    const rules = AlertRulesEnvSchema.parse('[{"name":"Lag","metric":"eventLoopLagP99Ms","threshold":200}]');
    expect(rules).toEqual([
      {
        name: 'Lag',
        metric: 'eventLoopLagP99Ms',
        op: 'above',
        threshold: 200,
        forMs: 0,
        severity: 'warning',
      },
    ]);
  });

  it.each([
    ['not json', 'must be a JSON array'],
    ['[{"name":"Lag","metric":"nope","threshold":1}]', 'metric'],
    ['[{"name":"Lag","metric":"sockets","threshold":10,"clear":20}]', 'clear must lie on the healthy side'],
    [
      '[{"name":"A","metric":"sockets","threshold":1},{"name":"A","metric":"sockets","threshold":2}]',
      'unique',
    ],
  ])('refuses %s', (text, message) => {
    const result = AlertRulesEnvSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });
});
