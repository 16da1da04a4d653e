// The one place that turns the validated configuration into module options: feature
// modules take plain options and never import AppConfig (so config/ and the features do not
// import each other).
import type { AppConfig } from './config/app-config';
import type { ExecutionsModuleOptions } from './executions/executions-options.types';
import type { MonitoringOptions } from './monitoring/monitoring-options.types';
import { DEFAULT_BRIDGE_OPTIONS, type QueueModuleOptions } from './queue/queue-options.types';

/** The module's options from the app's configuration. */
export function executionsOptionsFrom(config: AppConfig): ExecutionsModuleOptions {
  const e = config.executions;
  return {
    profiles: e.profiles,
    runner: {
      cwd: e.workdir,
      env: e.env,
      timeoutMs: e.timeoutMs,
      killGraceMs: e.killGraceMs,
      chunkBytes: e.chunkBytes,
      chunkWindowMs: e.chunkWindowMs,
      inflightBytes: e.inflightBytes,
      cancelPollMs: 500,
    },
    viewers: { maxBufferBytes: e.viewerMaxBufferBytes, catchUpBytesPerSec: e.catchUpBytesPerSec, checkMs: 50 },
  };
}

/** The module's options from the validated configuration. */
export function monitoringOptionsFrom(config: AppConfig): MonitoringOptions {
  const m = config.monitoring;
  return {
    nodeId: m.nodeId,
    buildRevision: m.buildRevision,
    metricsEnabled: m.metricsEnabled,
    metricsToken: m.metricsToken,
    healthIntervalMs: m.healthIntervalMs,
    redisKeyPrefix: config.redisKeyPrefix,
    alerts: {
      rules: m.alertRules,
      groupWindowMs: m.alertGroupWindowMs,
      repeatIntervalMs: m.alertRepeatIntervalMs,
      staleAfterMs: Math.max(30_000, 3 * m.healthIntervalMs),
    },
  };
}

/** The module's options from the app's configuration and its Redis command connection. */
export function queueOptionsFrom(config: AppConfig, redis: QueueModuleOptions['redis']): QueueModuleOptions {
  const { queue } = config;
  return {
    redis,
    keyPrefix: config.redisKeyPrefix,
    worker: { inProcess: queue.worker === 'in-process', concurrency: queue.concurrency, lockMs: queue.jobLockMs },
    bridge: {
      ...DEFAULT_BRIDGE_OPTIONS,
      enabled: queue.bridge,
      coalesceMs: queue.coalesceMs,
      lockTtlMs: queue.lockTtlMs,
      overviewIntervalMs: queue.overviewIntervalMs,
    },
  };
}
