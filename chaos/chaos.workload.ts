import type { ChaosEnvironment } from './chaos-environment';
import type { DeliveryCounts } from './chaos.checker';
import type { ChaosSize } from './chaos.runner';

export interface WorkloadContext {
  env: ChaosEnvironment;
  size: ChaosSize;
  random: () => number;
  /** Figures the workload adds to the scenario's row. */
  notes: Record<string, number | string>;
}

/** What a workload's own check found; added to the scenario's figures. */
export interface WorkloadVerdict extends DeliveryCounts {
  /** Why the workload failed its own checks (beyond lost/dup/reord/unexp), if it did. */
  failed?: string;
}

/**
 * Work of its own that a scenario runs across its fault, next to the task producer: jobs on
 * the executions queue, agent executions, or a measurement around the churn.
 */
export interface Workload {
  /** Starts the work; resolves once it is under way, so that the fault finds it mid-run. */
  start(): Promise<void>;
  /** Stops adding work, waits (bounded) for what is under way to end, and checks it. */
  finish(): Promise<WorkloadVerdict>;
  /** Closes its clients and connections; called whatever happened. */
  close(): Promise<void>;
}
