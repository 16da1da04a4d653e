import type { PrismaClient } from '../generated/prisma/client';

export type DatabaseMode = 'postgres' | 'embedded';

/**
 * A plain SQL session used by the migrator: simple-protocol queries (several statements per
 * call) on one connection, so a session-level advisory lock holds across them.
 */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
  release(): Promise<void>;
}

/** The database the app owns: the Prisma client and how to open a raw session. */
export interface DatabaseHandle {
  readonly mode: DatabaseMode;
  readonly prisma: PrismaClient;
  /** A description safe to log (no password). */
  readonly description: string;
  openSession(): Promise<SqlSession>;
  /**
   * Runs one parameterised statement straight on the `pg` pool, without Prisma's
   * parameter and result conversion: the event store's hot path (one append per batch)
   * uses it when present. A `name` makes it a prepared statement (per connection).
   * Absent for the embedded database, which goes through Prisma.
   */
  readonly query?: <T>(sql: string, params: unknown[], name?: string) => Promise<T[]>;
  close(): Promise<void>;
}

export const PRISMA = Symbol('PRISMA');
export const DATABASE = Symbol('DATABASE');
