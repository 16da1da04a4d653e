import type { EventPayloads } from '@taskdash/contract';
import { factsOfLine, type ClaudeFact } from './claude-line.mapper';
import { LineSplitter } from './line-splitter';

/**
 * Claude Code's stdout, chunk by chunk, as typed facts. Keeps the last `result` line, whose
 * cost, usage and `is_error` become the execution's own outcome.
 */
export class StreamJsonParser {
  private readonly lines = new LineSplitter();
  /** The run's `result`, once its line has been read. */
  result: EventPayloads['claude.result'] | undefined;

  /** Facts of the lines that `bytes` (at log offset `offset`) completes. */
  push(offset: number, bytes: Buffer): ClaudeFact[] {
    return this.lines.push(offset, bytes).flatMap((line) => this.observe(factsOfLine(line)));
  }

  /** Facts of a last line without a newline. */
  end(): ClaudeFact[] {
    return this.lines.end().flatMap((line) => this.observe(factsOfLine(line)));
  }

  private observe(facts: ClaudeFact[]): ClaudeFact[] {
    for (const fact of facts) if (fact.type === 'claude.result') this.result = fact.payload;
    return facts;
  }
}
