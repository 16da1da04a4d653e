import type { EventPayloads, EventType } from '@taskdash/contract';
import { arr, bool, count, cutText, defined, int, nonNegative, num, obj, smallObject, str, type Json } from './json-value.util';
import type { OutputLine } from './line-splitter';

export type ClaudeEventType = Extract<EventType, `claude.${string}`>;
/** One typed fact read from a stream-json line, ready to publish. */
export type ClaudeFact = { [T in ClaudeEventType]: { type: T; payload: EventPayloads[T] } }[ClaudeEventType];

interface Ref {
  line: number;
  at: number;
}

const parseError = (ref: Ref, message: string, text: string): ClaudeFact => ({
  type: 'claude.parse_error',
  payload: { message: cutText(message, 500).text, preview: cutText(text, 200).text, ...ref },
});

/**
 * The typed facts of one line of Claude Code's `--output-format stream-json` (see
 * FORMAT.md of the recorded transcripts). Tolerant by design: fields are read by name,
 * never by position; unknown types and subtypes yield nothing (the line is still in the
 * raw log); a line that is not a JSON object with a string `type` yields one parse error.
 */
export function factsOfLine(line: OutputLine): ClaudeFact[] {
  const ref: Ref = { line: line.line, at: line.at };
  if (line.text.trim() === '') return [];
  if (line.overlong) return [parseError(ref, 'line too long to parse', line.text)];
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    return [parseError(ref, `not JSON: ${(error as Error).message}`, line.text)];
  }
  const o = obj(value);
  if (!o || typeof o.type !== 'string') return [parseError(ref, 'not a stream-json object (no string "type")', line.text)];
  switch (o.type) {
    case 'system':
      return systemFacts(o, ref);
    case 'assistant':
      return assistantFacts(o, ref);
    case 'user':
      return toolResultFacts(o, ref);
    case 'result':
      return [resultFact(o, ref)];
    case 'stream_event':
      return deltaFacts(o, ref);
    case 'rate_limit_event':
      return rateLimitFacts(o, ref);
    default:
      return [];
  }
}

function systemFacts(o: Json, ref: Ref): ClaudeFact[] {
  if (o.subtype === 'init') {
    const tools = arr(o.tools)
      ?.slice(0, 1000)
      .flatMap((tool) => (typeof tool === 'string' ? [str(tool)!] : []));
    const payload = defined({
      sessionId: str(o.session_id, 128) ?? '',
      model: str(o.model),
      cwd: str(o.cwd, 4096),
      tools,
      permissionMode: str(o.permissionMode),
      claudeCodeVersion: str(o.claude_code_version),
      ...ref,
    });
    return [{ type: 'claude.session_started', payload }];
  }
  if (o.subtype === 'api_retry') {
    const payload = defined({
      attempt: count(o.attempt),
      maxRetries: count(o.max_retries),
      retryDelayMs: nonNegative(o.retry_delay_ms),
      errorStatus: int(o.error_status),
      error: str(o.error),
      ...ref,
    });
    return [{ type: 'claude.api_retry', payload }];
  }
  return []; // status, hooks, thinking_tokens, ...: opaque
}

function assistantFacts(o: Json, ref: Ref): ClaudeFact[] {
  const message = obj(o.message);
  const messageId = str(message?.id);
  const parentToolUseId = str(o.parent_tool_use_id);
  return (arr(message?.content) ?? []).flatMap((item): ClaudeFact[] => {
    const block = obj(item);
    switch (block?.type) {
      case 'text': {
        const { text, truncated } = cutText(typeof block.text === 'string' ? block.text : '');
        return [{ type: 'claude.assistant_text', payload: defined({ messageId, text, truncated, parentToolUseId, ...ref }) }];
      }
      case 'thinking': {
        const { text, truncated } = cutText(typeof block.thinking === 'string' ? block.thinking : '');
        return [{ type: 'claude.thinking', payload: defined({ messageId, thinking: text, truncated, ...ref }) }];
      }
      case 'tool_use': {
        const { text, truncated } = cutText(JSON.stringify(block.input ?? {}));
        const payload = defined({
          messageId,
          toolUseId: str(block.id) ?? '',
          name: str(block.name) ?? '',
          input: text,
          truncated,
          parentToolUseId,
          ...ref,
        });
        return [{ type: 'claude.tool_use', payload }];
      }
      default:
        return [];
    }
  });
}

/** Tool results come back as `user` lines; other user content (a replayed prompt) is skipped. */
function toolResultFacts(o: Json, ref: Ref): ClaudeFact[] {
  return (arr(obj(o.message)?.content) ?? []).flatMap((item): ClaudeFact[] => {
    const block = obj(item);
    if (block?.type !== 'tool_result') return [];
    const { text, truncated } = cutText(flatten(block.content));
    const payload = { toolUseId: str(block.tool_use_id) ?? '', isError: bool(block.is_error) ?? false, content: text, truncated, ...ref };
    return [{ type: 'claude.tool_result', payload }];
  });
}

/** A tool result's content: a string, or blocks of which text is kept and others named. */
function flatten(content: unknown): string {
  if (typeof content === 'string') return content;
  return (arr(content) ?? [])
    .map((item) => {
      const block = obj(item);
      if (typeof block?.text === 'string') return block.text;
      return typeof block?.type === 'string' ? `[${block.type}]` : '';
    })
    .join('\n');
}

function resultFact(o: Json, ref: Ref): ClaudeFact {
  const result = typeof o.result === 'string' ? cutText(o.result) : undefined;
  const errors = arr(o.errors)
    ?.slice(0, 100)
    .flatMap((error) => (typeof error === 'string' ? [str(error, 2000)!] : []));
  const payload = defined({
    subtype: str(o.subtype, 64) ?? '',
    // `is_error` is what to trust; without it, only an `error_*` subtype means failure.
    isError: bool(o.is_error) ?? String(o.subtype).startsWith('error'),
    durationMs: nonNegative(o.duration_ms),
    durationApiMs: nonNegative(o.duration_api_ms),
    numTurns: count(o.num_turns),
    sessionId: str(o.session_id, 128),
    totalCostUsd: nonNegative(o.total_cost_usd),
    usage: smallObject(o.usage),
    result: result?.text,
    truncated: result?.truncated ?? false,
    errors,
    terminalReason: str(o.terminal_reason),
    apiErrorStatus: int(o.api_error_status),
    ...ref,
  });
  return { type: 'claude.result', payload };
}

const DELTA_KINDS = {
  text_delta: ['text', 'text'],
  thinking_delta: ['thinking', 'thinking'],
  input_json_delta: ['input_json', 'partial_json'],
} as const;

function deltaFacts(o: Json, ref: Ref): ClaudeFact[] {
  const event = obj(o.event);
  const delta = obj(event?.delta);
  if (event?.type !== 'content_block_delta' || !delta || typeof delta.type !== 'string') return [];
  if (!Object.prototype.hasOwnProperty.call(DELTA_KINDS, delta.type)) return [];
  const [kind, field] = DELTA_KINDS[delta.type as keyof typeof DELTA_KINDS];
  const value = delta[field];
  const { text } = cutText(typeof value === 'string' ? value : '');
  return [{ type: 'claude.delta', payload: { kind, index: count(event.index) ?? 0, text, ...ref } }];
}

function rateLimitFacts(o: Json, ref: Ref): ClaudeFact[] {
  const info = obj(o.rate_limit_info) ?? {};
  const payload = defined({
    status: str(info.status) ?? 'unknown',
    resetsAt: num(info.resetsAt),
    rateLimitType: str(info.rateLimitType),
    utilization: num(info.utilization),
    ...ref,
  });
  return [{ type: 'claude.rate_limit', payload }];
}
