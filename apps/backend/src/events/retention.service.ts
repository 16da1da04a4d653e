import { Logger } from '@nestjs/common';
import type { RetentionOptions } from './events-options.types';
import type { SqlExecutor } from './sql-executor';

export interface PurgeResult {
  streams: number;
  events: number;
}

// First move each stream's `first_seq` past what must go (by count and by age), then delete
// below it. A replay checks `first_seq` before reading, and a page that is no longer
// contiguous ends the replay with `history_expired`, so a purge never yields a silent gap.
// - The streams' rows are locked in name order, the order an append locks them in: locked in
//   table order, a purge and an append touching two of the same streams deadlocked, and
//   PostgreSQL broke it after `deadlock_timeout` (1 s) of stalled publishing.
// - Events past the age limit are found through the `stored_at` index, so a purge reads only
//   what it removes (the per-stream lookup it replaced could walk each stream's whole history
//   backwards through the primary key when nothing was old).
const ADVANCE_SQL = `
WITH aged AS (
  SELECT stream, max(seq) + 1 AS past FROM events WHERE stored_at < $2::timestamptz GROUP BY stream
), due AS (
  SELECT s.name, GREATEST(s.last_seq - $1::bigint + 1, COALESCE(a.past, 0)) AS new_first
  FROM event_streams s LEFT JOIN aged a ON a.stream = s.name
  WHERE GREATEST(s.last_seq - $1::bigint + 1, COALESCE(a.past, 0)) > s.first_seq
  ORDER BY s.name
  FOR NO KEY UPDATE OF s
)
UPDATE event_streams s SET first_seq = due.new_first
FROM due WHERE s.name = due.name AND due.new_first > s.first_seq
RETURNING s.name`;

const DELETE_SQL = `
WITH gone AS (
  DELETE FROM events e USING event_streams s
  WHERE e.stream = s.name AND e.seq < s.first_seq AND s.name = ANY($1::text[])
  RETURNING 1
)
SELECT count(*)::int AS n FROM gone`;

/** Enforces retention by age and by count per stream. Safe to run on several nodes at once. */
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly options: RetentionOptions,
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.purge().catch((error: Error) =>
        this.logger.warn({ msg: 'retention purge failed', error: error.message }),
      );
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async purge(now: Date = new Date()): Promise<PurgeResult> {
    const cutoff = new Date(now.getTime() - this.options.maxAgeMs);
    const advanced = await this.sql.query<{ name: string }>(ADVANCE_SQL, [
      this.options.maxPerStream,
      cutoff.toISOString(),
    ]);
    if (advanced.length === 0) return { streams: 0, events: 0 };
    const [deleted] = await this.sql.query<{ n: number }>(DELETE_SQL, [advanced.map((row) => row.name)]);
    const result = { streams: advanced.length, events: Number(deleted?.n ?? 0) };
    this.logger.log({ msg: 'retention purge', ...result });
    return result;
  }
}
