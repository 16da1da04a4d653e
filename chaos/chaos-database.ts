import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Client } from 'pg';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Migrator {
  migrate: (session: unknown) => Promise<unknown>;
}
interface DatabaseFactory {
  openPostgres: (options: { url: string; poolSize: number }) => { openSession(): Promise<{ release(): Promise<void> }>; close(): Promise<void> };
}

/** One row of the events table. */
export interface StoredEvent {
  seq: number;
  id: string;
  type: string;
  payload: unknown;
}

/** A dedicated database `chaos_<random>` on the local PostgreSQL, migrated by the backend's own migrator. */
export class ChaosDatabase {
  readonly url: string;
  private locker: Client | undefined;
  /** Rows `purgeAllButLast` deleted. */
  readonly purged: Array<StoredEvent & { stream: string }> = [];

  constructor(readonly name: string) {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    this.url = url.toString();
  }

  static async create(suffix: string): Promise<ChaosDatabase> {
    const database = new ChaosDatabase(`chaos_${suffix}`);
    await admin((client) => client.query(`CREATE DATABASE "${database.name}"`));
    // The compiled backend's entry point for harnesses, as the benchmarks use it.
    const backend = createRequire(resolve(__dirname, '../apps/backend/package.json'))('@taskdash/backend/testing') as DatabaseFactory & Migrator;
    const { openPostgres, migrate } = backend;
    const postgres = openPostgres({ url: database.url, poolSize: 1 });
    const session = await postgres.openSession();
    try {
      await migrate(session);
    } finally {
      await session.release();
      await postgres.close();
    }
    return database;
  }

  /** Kills every backend connection to this database only (never anyone else's). */
  async terminateBackends(): Promise<number> {
    const result = await admin((client) =>
      client.query<{ n: string }>(
        'SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [this.name],
      ),
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  /** Holds `LOCK TABLE events IN ACCESS EXCLUSIVE MODE` until `unlockEvents`. */
  async lockEvents(): Promise<void> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    this.locker = client;
  }

  async unlockEvents(): Promise<void> {
    const client = this.locker;
    this.locker = undefined;
    if (!client) return;
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  /**
   * What retention does, for all but the last event of each of `streams`; returns the number
   * of rows deleted. They are kept in `purged`: they were stored, and checkers still judge
   * what was delivered of them.
   */
  async purgeAllButLast(streams: readonly string[]): Promise<number> {
    await this.query('UPDATE event_streams SET first_seq = last_seq WHERE name = ANY($1::text[]) AND last_seq > first_seq', [streams]);
    const rows = await this.query<{ stream: string; seq: string; id: string; type: string; payload: unknown }>(
      'DELETE FROM events e USING event_streams s WHERE e.stream = s.name AND e.seq < s.first_seq AND s.name = ANY($1::text[]) RETURNING e.stream, e.seq, e.id::text AS id, e.type, e.payload',
      [streams],
    );
    for (const row of rows) this.purged.push({ stream: row.stream, seq: Number(row.seq), id: row.id, type: row.type, payload: row.payload });
    return rows.length;
  }

  /** Every event of `streams` ever stored in this run: what is in the table plus what was purged. */
  async everStored(streams: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    const stored = await this.events(streams);
    for (const event of this.purged) stored.get(event.stream)?.push(event);
    for (const events of stored.values()) events.sort((x, y) => x.seq - y.seq);
    return stored;
  }

  async count(): Promise<number> {
    const rows = await this.query<{ n: string }>('SELECT count(*) AS n FROM events');
    return Number(rows[0]?.n ?? 0);
  }

  /** The stored events of `streams`, each in seq order: the ground truth of what was published. */
  async events(streams: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    const rows = await this.query<{ stream: string; seq: string; id: string; type: string; payload: unknown }>(
      'SELECT stream, seq, id::text AS id, type, payload FROM events WHERE stream = ANY($1::text[]) ORDER BY stream, seq',
      [streams],
    );
    const byStream = new Map<string, StoredEvent[]>(streams.map((stream) => [stream, []]));
    for (const row of rows) byStream.get(row.stream)?.push({ seq: Number(row.seq), id: row.id, type: row.type, payload: row.payload });
    return byStream;
  }

  /** The status of each execution in `ids`, as the executions table has it. */
  async executionStatuses(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.query<{ id: string; status: string }>('SELECT id::text AS id, status::text AS status FROM executions WHERE id = ANY($1::uuid[])', [ids]);
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  private async query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async drop(): Promise<void> {
    await this.unlockEvents();
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`));
  }
}

async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
