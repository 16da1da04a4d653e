import type { PrismaClient } from '../apps/backend/src/generated/prisma/client';

/**
 * Makes PostgreSQL refuse to store events of the given types (a trigger on `events`), so a
 * test can prove that a domain write and its event are one transaction: when the event
 * cannot be stored, the row change must not be either. Only for a test's own database.
 */
export async function refuseEvents(
  prisma: PrismaClient,
  types: readonly string[],
): Promise<{ allow(): Promise<void> }> {
  await prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS test_refused_event_types (type text PRIMARY KEY)`,
  );
  await prisma.$executeRawUnsafe(
    `CREATE OR REPLACE FUNCTION test_refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF EXISTS (SELECT 1 FROM test_refused_event_types WHERE type = NEW.type) THEN
         RAISE EXCEPTION 'test: events of type % are refused', NEW.type;
       END IF;
       RETURN NEW;
     END $$`,
  );
  await prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS test_refuse_event ON events`);
  await prisma.$executeRawUnsafe(
    `CREATE TRIGGER test_refuse_event BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_refuse_event()`,
  );
  for (const type of types) {
    await prisma.$executeRawUnsafe(
      `INSERT INTO test_refused_event_types (type) VALUES ($1) ON CONFLICT DO NOTHING`,
      type,
    );
  }
  return {
    allow: async () => void (await prisma.$executeRawUnsafe(`DELETE FROM test_refused_event_types`)),
  };
}

/** Runs `work` while PostgreSQL refuses events of `types`, and accepts them again afterwards. */
export async function whileRefused<T>(prisma: PrismaClient, types: readonly string[], work: () => Promise<T>): Promise<T> {
  const refusal = await refuseEvents(prisma, types);
  try {
    return await work();
  } finally {
    await refusal.allow();
  }
}
