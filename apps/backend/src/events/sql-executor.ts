import type { DatabaseHandle } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';

/** The one thing the event store needs from the database: run a parameterised query. */
export interface SqlExecutor {
  /**
   * `name`, for a statement run very often, lets an executor that can keep prepared
   * statements (plain `pg`) parse and plan it once per connection.
   */
  query<T>(sql: string, params: unknown[], name?: string): Promise<T[]>;
}

/** Runs the store's SQL through Prisma's raw query API (pg adapter or PGlite adapter alike). */
export const prismaExecutor = (prisma: PrismaClient): SqlExecutor => ({
  query: <T>(sql: string, params: unknown[]) => prisma.$queryRawUnsafe<T[]>(sql, ...params),
});

/**
 * The database's direct `pg` path when it has one (PostgreSQL), else Prisma. The direct
 * path costs a fraction of the CPU per statement, and `pg` writes the statement to the
 * connection on the next tick instead of after several promise hops: on a node busy with
 * fan-out that is most of an append's latency.
 */
export const databaseExecutor = (prisma: PrismaClient, database?: Pick<DatabaseHandle, 'query'>): SqlExecutor =>
  database?.query ? { query: database.query } : prismaExecutor(prisma);
