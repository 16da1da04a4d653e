import type { OutputFormat } from '@taskdash/contract';
import { z } from 'zod';

/** The argument of a profile's command line that is replaced by the execution's prompt. */
export const PROMPT_PLACEHOLDER = '{prompt}';

/** The profile every backend has: Claude Code with the prompt, printing stream-json. */
export const CLAUDE_PROFILE = 'claude';

/**
 * A command an execution may run, as argv; an element equal to `{prompt}` is replaced by the
 * request's prompt. Only configured commands run: a request names a profile, never a command
 * line, so an API client cannot make the server execute arbitrary programs.
 */
export type ExecutionProfile = string[];

const ProfilesSchema = z
  .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), z.array(z.string().min(1).max(4096)).min(1).max(256))
  .refine((profiles) => !(CLAUDE_PROFILE in profiles), `"${CLAUDE_PROFILE}" is built in (set CLAUDE_BINARY instead)`);

/**
 * `EXECUTION_PROFILES`: a JSON object of named command lines, validated at start-up.
 * @example {"demo":["node","scripts/demo.mjs","{prompt}"]}
 */
export const ExecutionProfilesEnvSchema = z.string().transform((text, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object of execution profiles' });
    return z.NEVER;
  }
  const parsed = ProfilesSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  // One problem naming the variable (config errors are one line per variable), with the detail.
  const [first] = parsed.error.issues;
  ctx.addIssue({ code: 'custom', message: `has an invalid profile: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`.trim() });
  return z.NEVER;
});

/** The built-in Claude Code profile for a binary path. */
export const claudeProfile = (binary: string): ExecutionProfile => [
  binary,
  '-p',
  PROMPT_PLACEHOLDER,
  '--output-format',
  'stream-json',
  '--verbose',
];

/** The command line of a profile for a prompt. */
export const commandOf = (profile: ExecutionProfile, prompt: string): string[] =>
  profile.map((arg) => (arg === PROMPT_PLACEHOLDER ? prompt : arg));

/**
 * How an execution's output is read: as Claude Code's stream-json when its command asks for
 * it (`--output-format stream-json`), else as raw bytes only. Derived from the command, so
 * any profile that runs Claude Code is parsed, and nothing else is.
 */
export function formatOf(command: readonly string[]): OutputFormat {
  const flag = command.indexOf('--output-format');
  const inline = command.includes('--output-format=stream-json');
  return inline || (flag >= 0 && command[flag + 1] === 'stream-json') ? 'stream-json' : 'raw';
}
