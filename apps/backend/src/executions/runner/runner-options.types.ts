/** How executions run; from the app's configuration (see `executions` in AppConfig). */
export interface RunnerOptions {
  /** Working directory of executed commands. @default the backend's own */
  cwd: string | undefined;
  /** Their whole environment; nothing else is inherited (no database URL, no JWT secret). */
  env: Record<string, string>;
  /** Longest run before the process group is killed (status timed_out), in ms. @default 3600000 */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL, in ms. @default 5000 */
  killGraceMs: number;
  /** Largest output chunk, in bytes. @default 16384 */
  chunkBytes: number;
  /** Longest an output byte waits for its chunk, in ms. @default 25 */
  chunkWindowMs: number;
  /** Output bytes read but not yet stored and published; beyond it the process waits. @default 524288 */
  inflightBytes: number;
  /** How often a run checks whether another node's API cancelled it, in ms. @default 500 */
  cancelPollMs: number;
}
