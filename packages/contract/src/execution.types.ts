import type { OutputFormat } from './execution-events';

export const EXECUTION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** An execution as `GET /executions/:id` and `POST /tasks/:id/executions` return it. */
export interface ExecutionSnapshot {
  id: string;
  taskId: string;
  status: ExecutionStatus;
  /** The command line that runs (or ran). */
  command: string[];
  format: OutputFormat;
  /** Its event stream, `execution:<id>`. */
  stream: string;
  exitCode: number | null;
  signal: string | null;
  costUsd: number | null;
  usage: Record<string, unknown> | null;
  /** Bytes of output stored so far (final once the execution ended). */
  outputBytes: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
