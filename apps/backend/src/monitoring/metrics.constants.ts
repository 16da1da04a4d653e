/** DI token of this app's prom-client `Registry` (STYLE.md habit 2: a value, not a class). */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Every metric this backend exports starts with it, the default process metrics included. */
export const METRIC_PREFIX = 'taskdash_';
