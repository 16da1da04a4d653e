import { z } from 'zod';

const uuid = z.string().uuid();
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ms = z.number().min(0);

/**
 * Longest text a structured event carries (assistant text, tool input, tool result). Longer
 * values are cut and flagged `truncated`; the whole line is always in the raw output, at
 * byte `at` of the execution's log.
 */
export const MAX_EVENT_TEXT = 16_384;
/** Longest `data` of one `execution.output` event (base64 of a 1 MiB chunk, with room to spare). */
export const MAX_OUTPUT_DATA = 1_500_000;

export const OUTPUT_FDS = ['stdout', 'stderr'] as const;
export type OutputFd = (typeof OUTPUT_FDS)[number];

/** How an execution ended. `timed_out`: killed after the configured timeout. */
export const EXECUTION_END_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type ExecutionEndStatus = (typeof EXECUTION_END_STATUSES)[number];

/** `stream-json`: Claude Code's output, also parsed into `claude.*` events. `raw`: bytes only. */
export const OUTPUT_FORMATS = ['stream-json', 'raw'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const text = z.string().max(MAX_EVENT_TEXT);
const name = z.string().max(256);
/** Token counts and the like, as Claude Code reports them (fields vary by CLI version). */
const usage = z
  .record(z.string().max(64), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 8192, 'usage must serialise to at most 8192 characters');

/** Where a stream-json line is: its number on stdout (from 1) and the log offset of its first byte. */
const lineRef = { line: z.number().int().min(1), at: count };

/**
 * Events of one agent execution, all on `execution:<id>`. Output is a byte-addressed log:
 * stdout and stderr share one sequence of offsets, so `execution.output` events in seq
 * order, concatenated, are the log; any byte range of it can also be fetched over HTTP
 * (`GET /executions/:id/output?from=&to=`). A chunk never splits a UTF-8 character or an
 * ANSI escape sequence. When the output is Claude Code's stream-json, each stdout line is
 * also published as one typed `claude.*` event right after the output that completes it.
 */
export const EXECUTION_EVENT_PAYLOAD_SCHEMAS = {
  /** The process started. Stream: `execution:<id>`. */
  'execution.started': z.object({
    executionId: uuid,
    taskId: uuid,
    pid: z.number().int().min(1),
    format: z.enum(OUTPUT_FORMATS),
  }),
  /**
   * Bytes `[offset, offset + length)` of the log, written by the process on `fd`. `data` is
   * the bytes as UTF-8 text, or base64 when `encoding` is `base64` (the bytes are not valid
   * UTF-8). Stream: `execution:<id>`.
   */
  'execution.output': z.object({
    offset: count,
    length: z.number().int().min(1).max(1 << 20),
    fd: z.enum(OUTPUT_FDS),
    data: z.string().max(MAX_OUTPUT_DATA),
    encoding: z.enum(['base64']).optional(),
  }),
  /**
   * The execution ended; nothing follows on the stream. `exitCode` is absent when a signal
   * ended the process (then `signal` is set). `outputBytes` is the length of the whole log.
   * Stream: `execution:<id>`.
   */
  'execution.finished': z.object({
    executionId: uuid,
    taskId: uuid,
    status: z.enum(EXECUTION_END_STATUSES),
    exitCode: z.number().int().optional(),
    signal: z.string().max(32).optional(),
    durationMs: ms,
    outputBytes: count,
    costUsd: z.number().min(0).optional(),
    usage: usage.optional(),
    /** Why it failed, when not from the process itself (spawn failure, lost output store). */
    error: z.string().max(2000).optional(),
  }),
  /** Claude Code's `system/init`: the session began. Stream: `execution:<id>`. */
  'claude.session_started': z.object({
    sessionId: z.string().max(128),
    model: name.optional(),
    cwd: z.string().max(4096).optional(),
    tools: z.array(name).max(1000).optional(),
    permissionMode: name.optional(),
    claudeCodeVersion: name.optional(),
    ...lineRef,
  }),
  /** A text block of an assistant message. Stream: `execution:<id>`. */
  'claude.assistant_text': z.object({
    messageId: name.optional(),
    text,
    truncated: z.boolean(),
    /** Set for sub-agent traffic: the `tool_use` that started the sub-agent. */
    parentToolUseId: name.optional(),
    ...lineRef,
  }),
  /** A thinking block (may be empty when the display is redacted). Stream: `execution:<id>`. */
  'claude.thinking': z.object({ messageId: name.optional(), thinking: text, truncated: z.boolean(), ...lineRef }),
  /** The model called a tool; `input` is the tool input as JSON text. Stream: `execution:<id>`. */
  'claude.tool_use': z.object({
    messageId: name.optional(),
    toolUseId: name,
    name,
    input: text,
    truncated: z.boolean(),
    parentToolUseId: name.optional(),
    ...lineRef,
  }),
  /** A tool's result, fed back to the model; `content` flattened to text. Stream: `execution:<id>`. */
  'claude.tool_result': z.object({ toolUseId: name, isError: z.boolean(), content: text, truncated: z.boolean(), ...lineRef }),
  /**
   * A streamed fragment (`--include-partial-messages`): text, thinking or tool-input JSON
   * of content block `index`. The complete block follows as its own event. Stream: `execution:<id>`.
   */
  'claude.delta': z.object({ kind: z.enum(['text', 'thinking', 'input_json']), index: z.number().int().min(0), text, ...lineRef }),
  /**
   * The run's `result` line. `isError` is the field to trust: a failed API call arrives as
   * subtype `success` with `isError: true`. Stream: `execution:<id>`.
   */
  'claude.result': z.object({
    subtype: z.string().max(64),
    isError: z.boolean(),
    durationMs: ms.optional(),
    durationApiMs: ms.optional(),
    numTurns: count.optional(),
    sessionId: z.string().max(128).optional(),
    totalCostUsd: z.number().min(0).optional(),
    usage: usage.optional(),
    result: text.optional(),
    truncated: z.boolean(),
    errors: z.array(z.string().max(2000)).max(100).optional(),
    terminalReason: name.optional(),
    apiErrorStatus: z.number().int().optional(),
    ...lineRef,
  }),
  /** Claude Code retries an API call (`system/api_retry`). Stream: `execution:<id>`. */
  'claude.api_retry': z.object({
    attempt: count.optional(),
    maxRetries: count.optional(),
    retryDelayMs: ms.optional(),
    errorStatus: z.number().int().optional(),
    error: name.optional(),
    ...lineRef,
  }),
  /** Rate-limit state changed (`rate_limit_event`). Stream: `execution:<id>`. */
  'claude.rate_limit': z.object({
    status: name,
    resetsAt: z.number().optional(),
    rateLimitType: name.optional(),
    utilization: z.number().optional(),
    ...lineRef,
  }),
  /** A stdout line that is not a JSON object with a string `type`; never fatal. Stream: `execution:<id>`. */
  'claude.parse_error': z.object({ message: z.string().max(500), preview: z.string().max(200), ...lineRef }),
} as const;
