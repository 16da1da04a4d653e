import { z } from 'zod';
import { CLAUDE_PROFILE } from '../execution-profile.schema';

export const ExecutionIdSchema = z.string().uuid('must be an execution id (uuid)');

/** `POST /tasks/:id/executions`: which configured command to run, with what prompt. */
export const StartExecutionSchema = z.strictObject({
  /** A configured profile name. @default claude */
  profile: z.string().min(1).max(64).default(CLAUDE_PROFILE),
  /** Replaces `{prompt}` in the profile's command line. @default "" */
  prompt: z.string().max(100_000).default(''),
});
export type StartExecutionBody = z.infer<typeof StartExecutionSchema>;

const offset = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * `GET /executions/:id/output`: bytes `[from, to)` of the log (defaults: all of it), or the
 * last `tail` bytes.
 */
export const OutputQuerySchema = z
  .strictObject({ from: offset.optional(), to: offset.optional(), tail: offset.optional() })
  .refine((q) => q.tail === undefined || (q.from === undefined && q.to === undefined), 'tail cannot be combined with from or to')
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, 'from must not exceed to');
export type OutputQuery = z.infer<typeof OutputQuerySchema>;

/** `GET /executions/:id/events`: stored events with `after < seq <= upTo`, for backfill. */
export const EventsQuerySchema = z.strictObject({
  after: offset.default(0),
  upTo: offset.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  /** `exclude` (default) leaves out `execution.output`; fetch output bytes from /output instead. */
  output: z.enum(['include', 'exclude']).default('exclude'),
});
export type EventsQuery = z.infer<typeof EventsQuerySchema>;

/** `GET /tasks/:id/executions`: the newest `limit` executions of the task. */
export const ListExecutionsSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListExecutionsQuery = z.infer<typeof ListExecutionsSchema>;
