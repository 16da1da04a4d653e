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

