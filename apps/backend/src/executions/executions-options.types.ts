import type { AppConfig } from '../config/app-config';
import type { ExecutionProfile } from './execution-profile.schema';
import type { RunnerOptions } from './runner/runner-options.types';
import type { ViewerOptions } from './viewers/viewer-options.types';

/** Options of `ExecutionsModule.register`. */
export interface ExecutionsModuleOptions {
  /** Commands an execution may run, by name; `claude` is always there. */
  profiles: Record<string, ExecutionProfile>;
  runner: RunnerOptions;
  viewers: ViewerOptions;
}

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
