import fc from 'fast-check';
import { EVENT_PAYLOAD_SCHEMAS, MAX_EVENT_TEXT } from '@taskdash/contract';
import type { ClaudeFact } from './claude-line.mapper';
import { StreamJsonParser } from './stream-json.parser';
import { EXPECTED_FACTS, EXPECTED_TYPES, TRANSCRIPTS, transcript } from './transcripts.fixture';

/** Feeds `bytes` in reads split at `cuts`, placed in the log at `base`. */
function parse(bytes: Buffer, cuts: number[] = [], base = 0): ClaudeFact[] {
  const parser = new StreamJsonParser();
  const facts: ClaudeFact[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)) {
    facts.push(...parser.push(base + from, bytes.subarray(from, cut)));
    from = cut;
  }
  facts.push(...parser.push(base + from, bytes.subarray(from)), ...parser.end());
  return facts;
}

const lines = (...objects: unknown[]) => Buffer.from(objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n') + '\n');

describe('StreamJsonParser', () => {
  it.each(TRANSCRIPTS)('reads the recorded %s transcript as the expected typed events', (name) => {
    const facts = parse(transcript(name));
    expect(facts.map((f) => f.type)).toEqual(EXPECTED_TYPES[name]);
    const expected = EXPECTED_FACTS[name];
    const session = facts[0]!;
    expect(session.type === 'claude.session_started' && session.payload.sessionId).toBe(expected.sessionId);
    const result = facts.at(-1)!;
    expect(result.type === 'claude.result' && result.payload).toMatchObject({
      subtype: 'success',
      isError: false,
      totalCostUsd: expected.costUsd,
      numTurns: expected.numTurns,
      sessionId: expected.sessionId,
      usage: expect.objectContaining({ output_tokens: expect.any(Number) }),
    });
  });

  it.each(TRANSCRIPTS)('produces only payloads the contract accepts from %s', (name) => {
    for (const fact of parse(transcript(name))) {
      expect(() => EVENT_PAYLOAD_SCHEMAS[fact.type].parse(fact.payload)).not.toThrow();
    }
  });

  it('pairs tool uses with their results, errors included', () => {
    const chain = parse(transcript('complex_tool_chain'));
    const uses = chain.flatMap((f) => (f.type === 'claude.tool_use' ? [{ name: f.payload.name, toolUseId: f.payload.toolUseId }] : []));
    expect(uses).toEqual(EXPECTED_FACTS.complex_tool_chain.tools);
    const results = chain.flatMap((f) => (f.type === 'claude.tool_result' ? [f.payload.toolUseId] : []));
    expect(results).toEqual(uses.map((u) => u.toolUseId));
    const failures = parse(transcript('error_case')).filter((f) => f.type === 'claude.tool_result');
    expect(failures[0]?.payload).toMatchObject({ isError: true, content: 'File does not exist.' });
  });

  it('numbers lines and places each at the log offset of its first byte', () => {
    const bytes = transcript('simple_hello');
    const facts = parse(bytes, [], 1000);
    const starts = [0, ...[...bytes.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1)].slice(0, 3);
    expect(facts.map((f) => [f.payload.line, f.payload.at])).toEqual(starts.map((s, i) => [i + 1, 1000 + s]));
  });

  it('gives the same events however the output is split into reads, even inside a multi-byte character', () => {
    const bytes = transcript('complex_tool_chain'); // has '→' (3 bytes) in a tool result
    const whole = parse(bytes);
    const arrow = bytes.indexOf('→');
    expect(parse(bytes, [arrow + 1, arrow + 2])).toEqual(whole);
    fc.assert(
      fc.property(fc.array(fc.nat(bytes.length), { maxLength: 40 }), (cuts) => {
        expect(parse(bytes, cuts)).toEqual(whole);
      }),
      { numRuns: 50 },
    );
  });

  it('reports malformed lines as parse errors and goes on', () => {
    const facts = parse(lines('{"type":"result","subtype":"success"', 'plain stderr text', '[1,2]', { no: 'type' }, { type: 'result', subtype: 'success', is_error: false }));
    expect(facts.map((f) => f.type)).toEqual(['claude.parse_error', 'claude.parse_error', 'claude.parse_error', 'claude.parse_error', 'claude.result']);
    expect(facts[1]!.payload).toMatchObject({ preview: 'plain stderr text', line: 2 });
  });

  it('skips unknown types and subtypes, reads fields whatever their order, and ignores unknown fields', () => {
    const facts = parse(
      lines(
        { type: 'system', subtype: 'hook_started', hook: 'x' },
        { type: 'conversation_reset', new_conversation_id: 'c' },
        { type: 'future_type', whatever: true },
        { duration_api_ms: 5, num_turns: 2, new_field: { a: 1 }, is_error: false, session_id: 's', type: 'result', subtype: 'success', duration_ms: 9 },
      ),
    );
    expect(facts).toEqual([
      {
        type: 'claude.result',
        payload: { subtype: 'success', isError: false, durationMs: 9, durationApiMs: 5, numTurns: 2, sessionId: 's', truncated: false, line: 4, at: expect.any(Number) },
      },
    ]);
  });

  it('reads partial-message deltas of text, thinking and tool input', () => {
    const delta = (index: number, d: object) => ({ type: 'stream_event', event: { type: 'content_block_delta', index, delta: d }, session_id: 's', uuid: 'u' });
    const facts = parse(
      lines(
        { type: 'stream_event', event: { type: 'message_start', message: {} } },
        delta(0, { type: 'thinking_delta', thinking: 'hmm' }),
        delta(1, { type: 'text_delta', text: 'Hel' }),
        delta(1, { type: 'text_delta', text: 'lo ✓' }),
        delta(2, { type: 'input_json_delta', partial_json: '{"file' }),
        delta(2, { type: 'signature_delta', signature: 'sig' }),
        { type: 'stream_event', event: { type: 'content_block_stop', index: 1 } },
      ),
    );
    expect(facts.map((f) => f.type === 'claude.delta' && [f.payload.kind, f.payload.index, f.payload.text])).toEqual([
      ['thinking', 0, 'hmm'],
      ['text', 1, 'Hel'],
      ['text', 1, 'lo ✓'],
      ['input_json', 2, '{"file'],
    ]);
  });

  it('reads error results: is_error is trusted, errors and terminal reason are kept, a missing result is fine', () => {
    const facts = parse(
      lines(
        { type: 'result', subtype: 'error_max_turns', is_error: true, errors: ['Reached maximum number of turns (1)'], terminal_reason: 'max_turns', duration_ms: 10, num_turns: 1 },
        { type: 'result', subtype: 'success', is_error: true, result: 'API Error: 404 model not found', api_error_status: 404, terminal_reason: 'api_error' },
      ),
    );
    expect(facts.map((f) => f.payload)).toEqual([
      expect.objectContaining({ subtype: 'error_max_turns', isError: true, errors: ['Reached maximum number of turns (1)'], terminalReason: 'max_turns', truncated: false }),
      expect.objectContaining({ subtype: 'success', isError: true, result: 'API Error: 404 model not found', apiErrorStatus: 404 }),
    ]);
    expect(facts[0]!.payload).not.toHaveProperty('result');
  });

  it('reads API retries, rate-limit events, thinking blocks and sub-agent traffic', () => {
    const facts = parse(
      lines(
        { type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, retry_delay_ms: 500, error_status: 529, error: 'server_error' },
        { type: 'rate_limit_event', rate_limit_info: { status: 'allowed_warning', resetsAt: 1738000000, rateLimitType: 'five_hour', utilization: 0.91 } },
        { type: 'assistant', message: { id: 'm1', content: [{ type: 'thinking', thinking: '', signature: 'x' }] }, parent_tool_use_id: null },
        { type: 'assistant', message: { id: 'm2', content: [{ type: 'text', text: 'sub' }] }, parent_tool_use_id: 'toolu_parent' },
      ),
    );
    expect(facts.map((f) => f.payload)).toEqual([
      expect.objectContaining({ attempt: 1, maxRetries: 10, retryDelayMs: 500, errorStatus: 529, error: 'server_error' }),
      expect.objectContaining({ status: 'allowed_warning', resetsAt: 1738000000, rateLimitType: 'five_hour', utilization: 0.91 }),
      expect.objectContaining({ messageId: 'm1', thinking: '', truncated: false }),
      expect.objectContaining({ messageId: 'm2', text: 'sub', parentToolUseId: 'toolu_parent' }),
    ]);
  });

  it('cuts long texts to the event limit and says so; the whole line stays in the raw output', () => {
    const long = '😀'.repeat(MAX_EVENT_TEXT); // surrogate pairs: the cut must not split one
    const [fact] = parse(lines({ type: 'assistant', message: { content: [{ type: 'text', text: long }] } }));
    expect(fact?.type === 'claude.assistant_text' && fact.payload.truncated).toBe(true);
    const text = fact?.type === 'claude.assistant_text' ? fact.payload.text : '';
    expect(text.length).toBeLessThanOrEqual(MAX_EVENT_TEXT);
    expect(Buffer.from(text).toString()).toBe(text);
    expect(text).toBe('😀'.repeat(text.length / 2));
  });

  it('parses a last line without a newline and tolerates CRLF', () => {
    const facts = parse(Buffer.from('{"type":"result","subtype":"success","is_error":false}\r\n{"type":"result","subtype":"success","is_error":true}'));
    expect(facts.map((f) => f.type === 'claude.result' && f.payload.isError)).toEqual([false, true]);
  });
});
