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

  constructor(readonly name: string) {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    this.url = url.toString();
  }

  static async create(suffix: string): Promise<ChaosDatabase> {
    const database = new ChaosDatabase(`chaos_${suffix}`);
    await admin((client) => client.query(`CREATE DATABASE "${database.name}"`));
    const dist = resolve(__dirname, '../apps/backend/dist/database');
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { openPostgres } = require(`${dist}/database.factory.js`) as DatabaseFactory;
    const { migrate } = require(`${dist}/migrator.js`) as Migrator;
    /* eslint-enable @typescript-eslint/no-require-imports */
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
