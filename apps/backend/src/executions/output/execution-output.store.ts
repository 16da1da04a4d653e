import type { PrismaClient } from '../../generated/prisma/client';
import type { OutputChunk } from './output-chunker';

interface Row {
  offset: bigint | number | string;
  bytes: Uint8Array;
}

/** Rows read per query while streaming a range. */
const PAGE_ROWS = 64;
/** Rows written per statement (three parameters each; PostgreSQL allows 65535). */
const ROWS_PER_INSERT = 1000;

/**
 * The byte-addressed output log of executions (`execution_output`, one row per chunk).
 * Retention trims the event history of a stream, never this: any byte range of any
 * execution that still exists can be read back exactly. Raw SQL, because writes are
 * batched with `unnest` and reads are by byte range.
 */
export class ExecutionOutputStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Stores chunks in one statement. Idempotent: a chunk already stored (a retry) is kept as
   * is. Committed without waiting for the WAL flush (`synchronous_commit` off for this
   * transaction only, set in the statement itself): an fsync per batch would cap the output
   * rate at the disk's fsync rate. Durability is not weakened where it matters: the chunk's
   * event is published afterwards with a synchronous commit, which flushes the WAL up to it,
   * this chunk included, so a byte any viewer was told about is on disk; a chunk whose event
   * fails is stored again (see OutputPipeline).
   */
  async append(executionId: string, chunks: readonly OutputChunk[]): Promise<void> {
    for (let from = 0; from < chunks.length; from += ROWS_PER_INSERT) {
      const rows = chunks.slice(from, from + ROWS_PER_INSERT);
      // One parameter per value (not arrays): the driver sends a Buffer parameter as binary,
      // while inside an array it would be hex-encoded text, twice the size and much slower.
      const values = rows.map((_, i) => `($${3 * i + 2}::bigint, $${3 * i + 3}::smallint, $${3 * i + 4}::bytea)`).join(', ');
      await this.prisma.$executeRawUnsafe(
        `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
         INSERT INTO execution_output (execution_id, "offset", length, fd, bytes)
         SELECT $1::uuid, v.o, octet_length(v.b), v.f, v.b FROM (VALUES ${values}) AS v(o, f, b), async_commit
         ON CONFLICT (execution_id, "offset") DO NOTHING`,
        executionId,
        ...rows.flatMap((c) => [c.offset, c.fd, c.bytes]),
      );
    }
  }

  /** Bytes stored for the execution: the length of its log so far. */
  async total(executionId: string): Promise<number> {
    const [row] = await this.prisma.$queryRawUnsafe<Array<{ total: bigint | number | null }>>(
      `SELECT max("offset" + length) AS total FROM execution_output WHERE execution_id = $1::uuid`,
      executionId,
    );
    return Number(row?.total ?? 0);
  }

  /**
   * Bytes `[from, to)` of the log, in pieces, exactly as the process wrote them. Stops early
   * (without error) at the end of what is stored.
   */
  async *read(executionId: string, from: number, to: number): AsyncGenerator<Buffer> {
    if (to <= from) return;
    // Start at the chunk that holds `from`; chunks are contiguous, so the rest follow by offset.
    const [first] = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT "offset" FROM execution_output WHERE execution_id = $1::uuid AND "offset" <= $2 ORDER BY "offset" DESC LIMIT 1`,
      executionId,
      from,
    );
    let cursor = first ? Number(first.offset) : 0;
    for (;;) {
      const rows = await this.prisma.$queryRawUnsafe<Row[]>(
        `SELECT "offset", bytes FROM execution_output
         WHERE execution_id = $1::uuid AND "offset" >= $2 AND "offset" < $3 ORDER BY "offset" LIMIT $4`,
        executionId,
        cursor,
        to,
        PAGE_ROWS,
      );
      for (const row of rows) {
        const offset = Number(row.offset);
        if (offset !== cursor) throw new Error(`execution ${executionId}: output has a hole at byte ${cursor}`);
        const bytes = Buffer.from(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
        const piece = bytes.subarray(Math.max(0, from - offset), Math.min(bytes.length, to - offset));
        if (piece.length > 0) yield piece;
        cursor = offset + bytes.length;
      }
      if (rows.length < PAGE_ROWS || cursor >= to) return;
    }
  }
}
