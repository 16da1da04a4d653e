import type { PrismaClient } from '../../generated/prisma/client';

/** The one thing the event store needs from the database: run a parameterised query. */
export interface SqlExecutor {
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
}

/** Runs the store's SQL through Prisma's raw query API (pg adapter or PGlite adapter alike). */
export const prismaExecutor = (prisma: PrismaClient): SqlExecutor => ({
  query: <T>(sql: string, params: unknown[]) => prisma.$queryRawUnsafe<T[]>(sql, ...params),
});
