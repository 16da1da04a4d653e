import type { PrismaClient } from '../../generated/prisma/client';
import type { ExecutionOutputStore } from '../output/execution-output.store';

type Big = bigint | number | string;

/**
 * Maps seqs of an `execution:<id>` stream to log offsets, from the output events it holds:
 * each carries `offset` and `length`, so the output before seq N ends where the last output
 * event at or before N ends, or, when retention purged that one, where the next one starts.
 */
export class OutputPositions {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly output: ExecutionOutputStore,
  ) {}

  /** Output bytes carried by the stream's events up to and including `seq`. */
  async endAt(stream: string, executionId: string, seq: number): Promise<number> {
    const [before] = await this.prisma.$queryRawUnsafe<Array<{ last_end: Big }>>(
      `SELECT (payload->>'offset')::bigint + (payload->>'length')::bigint AS last_end FROM events
       WHERE stream = $1 AND seq <= $2 AND type = 'execution.output' ORDER BY seq DESC LIMIT 1`,
      stream,
      seq,
    );
    if (before) return Number(before.last_end);
    const [after] = await this.prisma.$queryRawUnsafe<Array<{ start: Big }>>(
      `SELECT (payload->>'offset')::bigint AS start FROM events
       WHERE stream = $1 AND seq > $2 AND type = 'execution.output' ORDER BY seq LIMIT 1`,
      stream,
      seq,
    );
    if (after) return Number(after.start);
    // No output event either side in the history: all output (if any) lies at or before `seq`.
    return this.output.total(executionId);
  }

  /**
   * The last output event at or before `head` whose chunk starts at or before `offset`
   * (the one holding byte `offset`), or the earliest one still stored when retention purged
   * it; undefined when the stream has no output event.
   */
  async eventHolding(stream: string, offset: number, head: number): Promise<{ seq: number; offset: number } | undefined> {
    const select = `SELECT seq, (payload->>'offset')::bigint AS start FROM events WHERE stream = $1 AND seq <= $2 AND type = 'execution.output'`;
    const [holding] = await this.prisma.$queryRawUnsafe<Array<{ seq: Big; start: Big }>>(
      `${select} AND (payload->>'offset')::bigint <= $3 ORDER BY seq DESC LIMIT 1`,
      stream,
      head,
      offset,
    );
    const found = holding ?? (await this.prisma.$queryRawUnsafe<Array<{ seq: Big; start: Big }>>(`${select} ORDER BY seq LIMIT 1`, stream, head))[0];
    return found ? { seq: Number(found.seq), offset: Number(found.start) } : undefined;
  }
}
