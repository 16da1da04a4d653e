import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import type { DatabaseHandle, SqlSession } from './database.types';

/** Password-free form of a PostgreSQL URL, for logs. */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `postgresql://${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}`;
}

export interface PostgresOptions {
  url: string;
  /** Pool size. @default 10 */
  poolSize?: number;
  /**
   * How long a caller waits for a pooled connection, opening one included, in ms; without
   * it a caller waits forever while the server does not answer. @default 10000
   */
  connectTimeoutMs?: number;
}

/**
 * A `pg` pool whose connections can never crash the process. The pool listens for errors
 * only on idle connections: from checkout to release a connection has no `error` listener
 * of `pg-pool`'s, and one that has no query running when the server ends it (a terminated
 * backend, a restart) emits an `error` nobody hears, which Node turns into an exit. That
 * happened under `pg_terminate_backend`: a new connection's ReadyForQuery and the FATAL that
 * followed it came in one read, after the pool handed the connection to a caller who would
 * attach its own listener a microtask later. The connection is still marked unusable, so
 * the pool drops it on release; its query, if any, fails as before.
 */
export function openPool(options: PostgresOptions): Pool {
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A peer that vanished without a FIN (a cut link) is noticed instead of waited on forever.
    keepAlive: true,
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Connects to a PostgreSQL server through a `pg` pool that the Prisma adapter uses. */
export function openPostgres(options: PostgresOptions): DatabaseHandle {
  const pool = openPool(options);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    mode: 'postgres',
    prisma,
    description: describeUrl(options.url),
    query: async <T>(sql: string, params: unknown[], name?: string) =>
      (await pool.query({ text: sql, values: params, ...(name ? { name } : {}) })).rows as T[],
    async openSession(): Promise<SqlSession> {
      const client = new Client({ connectionString: options.url });
      client.on('error', () => undefined);
      await client.connect();
      return {
        query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        exec: async (sql: string) => {
          await client.query(sql);
        },
        release: () => client.end(),
      };
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * PostgreSQL compiled to WASM, in this process, persisted under `dataDir`: lets the backend
 * run with no database server. One connection only, which PGlite serialises for us.
 */
export async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    mode: 'embedded',
    prisma,
    description: `embedded PGlite at ${dir}`,
    async openSession(): Promise<SqlSession> {
      return {
        query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
        exec: async (sql: string) => {
          await db.exec(sql);
        },
        release: async () => undefined,
      };
    },
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
