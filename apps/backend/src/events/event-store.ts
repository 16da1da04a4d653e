import type { EventEnvelope, EventType } from '@taskdash/contract';
import type { EventTx } from './event-transactions.service';
import { MicroBatcher } from '../database/micro-batcher';
import type { SqlExecutor } from './sql-executor';

/** An event accepted by the publisher but not stored yet. */
export interface PendingEvent {
  id: string;
  stream: string;
  type: EventType;
  payload: unknown;
  occurredAt: Date;
}

export interface StreamHead {
  name: string;
  lastSeq: number;
  firstSeq: number;
  epoch: string;
}

/**
 * The epoch `peekHead` gives a stream that has no row yet: no real epoch (random UUIDs) is
 * ever equal to it, so the first real one always differs. It is a valid UUID, so it can be
 * compared in SQL like any other (`changedHeads`).
 */
export const NO_EPOCH = '00000000-0000-0000-0000-000000000000';

/** How long `peekHead`'s first read of a batch waits for others, in ms. */
export const PEEK_GATHER_MS = 20;

interface StoredRow {
  stream: string;
  seq: bigint | number | string;
  id: string;
  type: string;
  payload: unknown;
  occurred_at: Date | string;
  epoch: string;
}

interface HeadRow {
  name: string;
  last_seq: bigint | number | string;
  first_seq: bigint | number | string;
  epoch: string;
}

// One statement per batch, so one round trip and an implicit transaction:
// 1. bump each stream's counter by its number of events, sorted by name so that two
//    batches touching the same streams lock them in the same order (no deadlock). The row
//    lock is held until commit, so a concurrent batch for the same stream waits and commits
//    after this one: commit order equals seq order, and a reader of "seq > N" never skips.
// 2. insert the events with seq = new last_seq - count + position within the stream.
// The batch is one parameter, a JSON array of `[stream, id, type, payload, occurredAt]`:
// one string to send instead of five arrays that `pg` would escape element by element.
const APPEND_SQL = `
WITH input AS (
  SELECT e->>0 AS stream, (e->>1)::uuid AS id, e->>2 AS type, e->3 AS payload, (e->>4)::timestamptz AS occurred_at, ord
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, ord)
), counts AS (
  SELECT stream, count(*)::bigint AS n FROM input GROUP BY stream
), alloc AS (
  INSERT INTO event_streams AS s (name, epoch, last_seq)
  SELECT stream, gen_random_uuid(), n FROM counts ORDER BY stream
  ON CONFLICT (name) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
  RETURNING s.name, s.last_seq, s.first_seq, s.epoch
), numbered AS (
  SELECT i.*, row_number() OVER (PARTITION BY i.stream ORDER BY i.ord) AS k FROM input i
), inserted AS (
  INSERT INTO events (stream, seq, id, type, payload, occurred_at)
  SELECT n.stream, a.last_seq - c.n + n.k, n.id, n.type, n.payload, n.occurred_at
  FROM numbered n JOIN alloc a ON a.name = n.stream JOIN counts c ON c.stream = n.stream
  RETURNING 1
)
SELECT a.name, a.last_seq, a.first_seq, a.epoch::text AS epoch, (SELECT count(*) FROM inserted) AS stored
FROM alloc a`;

/** Envelope columns of stored events, with their stream's epoch. */
const SELECT_EVENTS = `SELECT e.stream, e.seq, e.id::text AS id, e.type, e.payload, e.occurred_at, s.epoch::text AS epoch
       FROM events e JOIN event_streams s ON s.name = e.stream`;

const toNumber = (value: bigint | number | string): number => Number(value);

/**
 * The durable, ordered event log in PostgreSQL. Stateless: every method is one statement,
 * so it is safe to use from several nodes at once.
 */
export class EventStore {
  constructor(private readonly sql: SqlExecutor) {}

  /** The statement `append` runs; exported for the concurrency test that wraps it in slow transactions. */
  static readonly APPEND_SQL = APPEND_SQL;

  static appendParams(events: readonly PendingEvent[]): unknown[] {
    return [JSON.stringify(events.map((e) => [e.stream, e.id, e.type, e.payload, e.occurredAt]))];
  }

  /** Stores a batch atomically; returns the envelopes in input order with their seq. */
  async append(events: readonly PendingEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const heads = await this.sql.query<HeadRow>(APPEND_SQL, EventStore.appendParams(events), 'taskdash_append');
    return EventStore.number(events, heads);
  }

  /**
   * Stores a batch inside the caller's transaction: the same statement, so the same seq
   * allocation under the streams' row locks, which the transaction holds until it ends.
   */
  async appendIn(tx: EventTx, events: readonly PendingEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const heads = await tx.$queryRawUnsafe<HeadRow[]>(APPEND_SQL, ...EventStore.appendParams(events));
    return EventStore.number(events, heads);
  }

  /** Assigns seqs exactly as APPEND_SQL did: the last `n` numbers of each stream, in input order. */
  static number(events: readonly PendingEvent[], heads: readonly HeadRow[]): EventEnvelope[] {
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.stream, (counts.get(e.stream) ?? 0) + 1);
    const next = new Map<string, { seq: number; epoch: string }>();
    for (const head of heads) {
      next.set(head.name, {
        seq: toNumber(head.last_seq) - (counts.get(head.name) ?? 0) + 1,
        epoch: head.epoch,
      });
    }
    return events.map((e) => {
      const cursor = next.get(e.stream);
      if (!cursor) throw new Error(`stream ${e.stream} missing from append result`);
      const envelope: EventEnvelope = {
        id: e.id,
        stream: e.stream,
        seq: cursor.seq++,
        epoch: cursor.epoch,
        type: e.type,
        occurredAt: e.occurredAt.toISOString(),
        payload: e.payload as EventEnvelope['payload'],
      };
      return envelope;
    });
  }

  /** Events already stored among `ids` (to settle a batch whose commit outcome is unknown). */
  async findByIds(ids: readonly string[]): Promise<EventEnvelope[]> {
    const rows = await this.sql.query<StoredRow>(`${SELECT_EVENTS} WHERE e.id = ANY($1::uuid[])`, [ids]);
    return rows.map(toEnvelope);
  }

  /** Events of one stream with `after < seq <= upTo`, ascending, at most `limit`. */
  async read(stream: string, after: number, upTo: number, limit: number): Promise<EventEnvelope[]> {
    const rows = await this.sql.query<StoredRow>(
      `${SELECT_EVENTS}
       WHERE e.stream = $1 AND e.seq > $2 AND e.seq <= $3 ORDER BY e.seq LIMIT $4`,
      [stream, after, upTo, limit],
    );
    return rows.map(toEnvelope);
  }

  /** Current heads of the named streams (missing streams are absent from the result). */
  async heads(streams: readonly string[]): Promise<StreamHead[]> {
    const rows = await this.sql.query<HeadRow>(
      `SELECT name, last_seq, first_seq, epoch::text AS epoch FROM event_streams WHERE name = ANY($1::text[])`,
      [streams],
      'stream_heads',
    );
    return rows.map(toHead);
  }

  /**
   * Heads of the `known` streams that differ from what the caller knows (a higher last
   * seq or another epoch); the others are left out. One parameter, a JSON array, keeps
   * the statement cheap to send for thousands of streams.
   */
  async changedHeads(known: ReadonlyArray<{ name: string; lastSeq: number; epoch: string }>): Promise<StreamHead[]> {
    if (known.length === 0) return [];
    const rows = await this.sql.query<HeadRow>(
      `SELECT s.name, s.last_seq, s.first_seq, s.epoch::text AS epoch
         FROM json_array_elements($1::json) AS k(v) JOIN event_streams s ON s.name = k.v->>0
        WHERE s.last_seq > (k.v->>1)::bigint OR s.epoch <> (k.v->>2)::uuid`,
      [JSON.stringify(known.map((k) => [k.name, k.lastSeq, k.epoch]))],
      'taskdash_changed_heads',
    );
    return rows.map(toHead);
  }

  /**
   * The head of a stream, creating an empty stream (with its epoch) if it does not exist yet.
   * Concurrent calls of one turn of the event loop share one statement (a node subscribing
   * thousands of sockets at once: each joins its `user:` stream).
   */
  ensureHead(stream: string): Promise<StreamHead> {
    return this.headLoader.load(stream);
  }

  private readonly headLoader = new MicroBatcher<string, StreamHead>((streams) => this.ensureHeads(streams));

  /**
   * The head of a stream as it is, without creating it: a stream with no row is empty, with
   * `NO_EPOCH`. For a subscriber that is told no position (the server joining a socket to
   * its own `user:` stream), which then costs a read instead of a committed insert, on a
   * handshake path that runs thousands of times a second in a reconnect storm. Batched like
   * `ensureHead`, and the first read of a batch waits `PEEK_GATHER_MS` for others: nobody
   * waits on the answer, and at 1,500 handshakes/s a statement each (batches of one or two)
   * cost PostgreSQL ~55 µs of CPU per handshake, ~12 µs with the wait, besides the driver's
   * work on the node. The dispatcher delivers what is stored meanwhile (`StreamDispatcher.load`).
   */
  peekHead(stream: string): Promise<StreamHead> {
    return this.peekLoader.load(stream);
  }

  /** Sends the `peekHead` reads that wait to batch with others now (see `StreamDispatcher.hurry`). */
  hurryPeeks(): void {
    this.peekLoader.hurry();
  }

  private readonly peekLoader = new MicroBatcher<string, StreamHead>((streams) => this.headsOrNone(streams), 500, PEEK_GATHER_MS);

  /** `heads`, with an empty `NO_EPOCH` head for each stream that has no row. */
  private async headsOrNone(streams: string[]): Promise<Map<string, StreamHead>> {
    const found = new Map((await this.heads(streams)).map((head) => [head.name, head]));
    return new Map(streams.map((name) => [name, found.get(name) ?? { name, lastSeq: 0, firstSeq: 1, epoch: NO_EPOCH }]));
  }

  /**
   * The head of a stream as it is now, or undefined when it has no row: `heads` for one
   * stream, with the reads of one turn of the event loop sharing a statement. Every
   * subscribe that names a position reads it, so a reconnect storm is thousands of them.
   */
  async currentHead(stream: string): Promise<StreamHead | undefined> {
    const head = await this.currentLoader.load(stream);
    return head.epoch === NO_EPOCH ? undefined : head;
  }

  private readonly currentLoader = new MicroBatcher<string, StreamHead>((streams) => this.headsOrNone(streams));

  /** `ensureHead` for many streams in one statement; reads first, inserts only what is missing. */
  private async ensureHeads(streams: string[]): Promise<Map<string, StreamHead>> {
    // The plain SELECT sees the rows as they were when the statement began, so together with
    // what the INSERT returns it names every stream once. A stream another transaction created
    // after that moment is in neither (our INSERT found it and did nothing): read again.
    const rows = await this.sql.query<HeadRow>(ENSURE_HEADS_SQL, [streams], 'ensure_heads');
    const heads = new Map(rows.map((row) => [row.name, toHead(row)]));
    const missing = streams.filter((stream) => !heads.has(stream));
    if (missing.length > 0) for (const head of await this.heads(missing)) heads.set(head.name, head);
    return heads;
  }
}

const ENSURE_HEADS_SQL = `
  WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS name),
  existing AS (
    SELECT s.name, s.last_seq, s.first_seq, s.epoch FROM event_streams s JOIN wanted w ON w.name = s.name
  ),
  created AS (
    INSERT INTO event_streams (name, epoch)
    SELECT w.name, gen_random_uuid() FROM wanted w WHERE w.name NOT IN (SELECT name FROM existing)
    ON CONFLICT (name) DO NOTHING
    RETURNING name, last_seq, first_seq, epoch
  )
  SELECT name, last_seq, first_seq, epoch::text AS epoch FROM existing
  UNION ALL
  SELECT name, last_seq, first_seq, epoch::text AS epoch FROM created`;

function toHead(row: HeadRow): StreamHead {
  return { name: row.name, lastSeq: toNumber(row.last_seq), firstSeq: toNumber(row.first_seq), epoch: row.epoch };
}

function toEnvelope(row: StoredRow): EventEnvelope {
  return {
    id: row.id,
    stream: row.stream,
    seq: toNumber(row.seq),
    epoch: row.epoch,
    type: row.type as EventType,
    occurredAt: new Date(row.occurred_at).toISOString(),
    payload: row.payload as EventEnvelope['payload'],
  };
}
