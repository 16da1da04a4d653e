import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClaudeEventType } from './claude-line.mapper';

/** The recorded transcripts (MIT, see test-fixtures/claude-stream-json/). */
export const TRANSCRIPT_DIR = join(__dirname, '..', '..', '..', 'test-fixtures', 'claude-stream-json');

export const TRANSCRIPTS = ['simple_hello', 'complex_tool_chain', 'error_case'] as const;
export type TranscriptName = (typeof TRANSCRIPTS)[number];

export const transcriptPath = (name: TranscriptName): string => join(TRANSCRIPT_DIR, `guess-claude_code--${name}.jsonl`);
export const transcript = (name: TranscriptName): Buffer => readFileSync(transcriptPath(name));

const toolRound: ClaudeEventType[] = ['claude.assistant_text', 'claude.tool_use', 'claude.tool_result'];

/** The typed events each transcript must produce, in order (written out by reading the files). */
export const EXPECTED_TYPES: Record<TranscriptName, ClaudeEventType[]> = {
  simple_hello: ['claude.session_started', 'claude.assistant_text', 'claude.result'],
  complex_tool_chain: [
    'claude.session_started',
    'claude.assistant_text',
    'claude.tool_use',
    'claude.tool_result',
    'claude.tool_use',
    'claude.tool_result',
    'claude.assistant_text',
    'claude.result',
  ],
  error_case: [
    'claude.session_started',
    ...Array.from({ length: 9 }, () => toolRound).flat(),
    'claude.assistant_text',
    'claude.result',
  ],
};

/** A few values per transcript, checked in the events. */
export const EXPECTED_FACTS = {
  simple_hello: { sessionId: 'a4c79bab-3a68-425c-988e-0aa6b9151a63', costUsd: 0.12251155000000002, numTurns: 1 },
  complex_tool_chain: {
    sessionId: 'f51f156b-4980-425f-8cc6-eab6c9315d94',
    costUsd: 0.22901395000000002,
    numTurns: 6,
    tools: [
      { name: 'Read', toolUseId: 'toolu_01NKgtgg21cDRCqGnRBFMhgb' },
      { name: 'Write', toolUseId: 'toolu_01FosdeTZFtqk1aYtD4kJw3E' },
    ],
  },
  error_case: { sessionId: '8279ba3d-a74d-4d31-83b0-b6ea31c89fa2', costUsd: 0.50979005, numTurns: 28 },
} as const;
