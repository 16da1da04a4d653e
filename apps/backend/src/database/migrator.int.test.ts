import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expectEventually } from '../../../../test/eventually';
import { createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import {
  ROUND_TRIP_INPUT,
  ROUND_TRIP_MODELS,
  roundTripEveryModel,
  type RoundTrip,
} from '../../test/every-model.fixture';
import { Prisma } from '../generated/prisma/client';
import { openPostgres } from './database.factory';
import type { DatabaseHandle, SqlSession } from './database.types';
import { findMigrationsDir, migrate, readMigrations, type Migration, type MigrationResult } from './migrator';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const migration = (name: string, sql: string): Migration => ({ name, sql, checksum: sha256(sql) });

/** The migration files on disk, read independently of the migrator. */
const onDisk = (() => {
  const dir = join(__dirname, '..', '..', '..', '..', 'prisma', 'migrations');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, checksum: sha256(readFileSync(join(dir, name, 'migration.sql'), 'utf8')) }));
})();
const names = onDisk.map((m) => m.name);

interface HistoryRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

describe('migrate on PostgreSQL', () => {
  const databases: TestDatabase[] = [];
  const handles: DatabaseHandle[] = [];
  const sessions: SqlSession[] = [];

  /** A session on a new, empty database (or on `db` when given). */
  const emptyDatabase = async () => {
    const db = await createTestDatabase({ migrated: false });
    databases.push(db);
    const handle = openPostgres({ url: db.url, poolSize: 1 });
    handles.push(handle);
    return { db, handle };
  };
  const session = async (handle: DatabaseHandle) => {
    const opened = await handle.openSession();
    sessions.push(opened);
    return opened;
  };
  const history = (s: SqlSession) =>
    s.query<HistoryRow>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.release()));
    await Promise.all(handles.map((h) => h.close()));
    await Promise.all(databases.map((db) => db.drop()));
  });

  it('finds the repository migrations from the source tree', () => {
    expect(readMigrations().map((m) => [m.name, m.checksum])).toEqual(
      onDisk.map((m) => [m.name, m.checksum]),
    );
    expect(findMigrationsDir()).toMatch(/prisma[/\\]migrations$/);
    expect(names.length).toBeGreaterThan(0);
  });

  it('applies every migration to an empty database and creates the schema', async () => {
    const { handle } = await emptyDatabase();
    const s = await session(handle);
    expect(await migrate(s)).toEqual({ applied: names, alreadyApplied: 0 });
    const tables = await s.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([
        '_prisma_migrations',
        'event_streams',
        'events',
        'executions',
        'task_members',
        'tasks',
      ]),
    );
  });

  it("records each migration in _prisma_migrations with Prisma's columns and the file's sha256", async () => {
    const { handle } = await emptyDatabase();
    const s = await session(handle);
    const before = new Date(Date.now() - 1000);
    await migrate(s);
    const columns = await s.query<{
      column_name: string;
      data_type: string;
      max: number | null;
      is_nullable: string;
    }>(
      `SELECT column_name, data_type, character_maximum_length AS max, is_nullable
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', max: 36, is_nullable: 'NO' },
      { column_name: 'checksum', data_type: 'character varying', max: 64, is_nullable: 'NO' },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', max: null, is_nullable: 'YES' },
      { column_name: 'migration_name', data_type: 'character varying', max: 255, is_nullable: 'NO' },
      { column_name: 'logs', data_type: 'text', max: null, is_nullable: 'YES' },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', max: null, is_nullable: 'YES' },
      { column_name: 'started_at', data_type: 'timestamp with time zone', max: null, is_nullable: 'NO' },
      { column_name: 'applied_steps_count', data_type: 'integer', max: null, is_nullable: 'NO' },
    ]);
    const rows = await history(s);
    expect(rows.map((row) => [row.migration_name, row.checksum])).toEqual(
      onDisk.map((m) => [m.name, m.checksum]),
    );
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at!.getTime()).toBeGreaterThan(before.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('applies nothing on a second run and leaves the history as it was', async () => {
    const { handle } = await emptyDatabase();
    const s = await session(handle);
    await migrate(s);
    const first = await history(s);
    expect(await migrate(s)).toEqual({ applied: [], alreadyApplied: names.length });
    expect(await migrate(await session(handle))).toEqual({ applied: [], alreadyApplied: names.length });
    expect(await history(s)).toEqual(first);
  });

  it('applies each migration exactly once when two sessions migrate at the same time', async () => {
    const { handle } = await emptyDatabase();
    const [a, b] = [await session(handle), await session(handle)];
    const results = await Promise.all([migrate(a), migrate(b)]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(names);
    expect((await history(a)).map((row) => row.migration_name)).toEqual(names);
  });

  it('makes a second session wait on the advisory lock while the first is applying, then apply nothing', async () => {
    const { handle } = await emptyDatabase();
    const [control, first, second] = [await session(handle), await session(handle), await session(handle)];
    // The first migration blocks on a table lock the test holds, so the first session is
    // mid-migration (holding the migration lock) for as long as the test wants.
    await control.exec('CREATE TABLE gate (x int); CREATE TABLE probe (n int)');
    await control.exec('BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE');
    const gated = [
      migration('00000000000000_gated', 'LOCK TABLE gate IN SHARE MODE; INSERT INTO probe VALUES (1);'),
      ...readMigrations(),
    ];
    const pid = async (s: SqlSession) =>
      (await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
    const waitingOn = async (backend: number) =>
      (
        await control.query<{ locktype: string }>(
          'SELECT locktype FROM pg_locks WHERE pid = $1 AND NOT granted',
          [backend],
        )
      ).map((row) => row.locktype);
    const [firstPid, secondPid] = [await pid(first), await pid(second)];

    const firstRun = migrate(first, gated);
    await expectEventually(async () => expect(await waitingOn(firstPid)).toEqual(['relation']));
    const secondRun = migrate(second, gated);
    await expectEventually(async () => expect(await waitingOn(secondPid)).toEqual(['advisory']));
    expect(await control.query('SELECT 1 FROM probe')).toHaveLength(0);

    await control.exec('COMMIT');
    expect(await firstRun).toEqual({ applied: gated.map((m) => m.name), alreadyApplied: 0 });
    expect(await secondRun).toEqual({ applied: [], alreadyApplied: gated.length });
    expect(await control.query('SELECT n FROM probe')).toEqual([{ n: 1 }]);
    expect((await history(control)).map((row) => row.migration_name).sort()).toEqual(
      gated.map((m) => m.name).sort(),
    );
  });

  it('refuses a migration file that changed after it was applied, and applies nothing after it', async () => {
    const { handle } = await emptyDatabase();
    const s = await session(handle);
    await migrate(s);
    const [changed, ...rest] = readMigrations();
    const tampered = [
      migration(changed!.name, `${changed!.sql}\n-- edited later\n`),
      ...rest,
      migration('29990101000000_later', 'CREATE TABLE later (x int)'),
    ];
    await expect(migrate(s, tampered)).rejects.toThrow(
      `migration ${changed!.name} was changed after it was applied`,
    );
    expect(await s.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'later'")).toHaveLength(
      0,
    );
    expect((await history(s)).map((row) => row.migration_name)).toEqual(names);
  });

  it('releases the migration lock after a refusal, so another session can migrate', async () => {
    const { handle } = await emptyDatabase();
    const s = await session(handle);
    await migrate(s);
    const [changed, ...rest] = readMigrations();
    await expect(migrate(s, [migration(changed!.name, 'SELECT 1'), ...rest])).rejects.toThrow('was changed');
    const locks = await s.query(
      "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
    );
    expect(locks).toHaveLength(0);
    expect(await migrate(await session(handle))).toEqual({ applied: [], alreadyApplied: names.length });
  });

  it('rolls a failing migration back completely, records nothing, and applies it once it is fixed', async () => {
    const { handle } = await emptyDatabase();
    const s = await session(handle);
    await migrate(s);
    const broken = migration(
      '29990101000000_broken',
      'CREATE TABLE half_done (x int); SELECT * FROM no_such_table;',
    );
    await expect(migrate(s, [...readMigrations(), broken])).rejects.toThrow(
      /migration 29990101000000_broken failed: .*no_such_table/,
    );
    expect(
      await s.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'"),
    ).toHaveLength(0);
    expect((await history(s)).map((row) => row.migration_name)).toEqual(names);
    const fixed = migration('29990101000000_broken', 'CREATE TABLE half_done (x int);');
    expect(await migrate(s, [...readMigrations(), fixed])).toEqual({
      applied: [fixed.name],
      alreadyApplied: names.length,
    });
  });

  it('refuses to go on past a migration that Prisma recorded as started but never finished', async () => {
    const { handle } = await emptyDatabase();
    const s = await session(handle);
    await migrate(s);
    const pending = migration('29990101000000_pending', 'CREATE TABLE pending (x int)');
    await s.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)`, [
      randomUUID(),
      pending.checksum,
      pending.name,
    ]);
    await expect(migrate(s, [...readMigrations(), pending])).rejects.toThrow(
      `migration ${pending.name} failed earlier`,
    );
    expect(
      await s.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'pending'"),
    ).toHaveLength(0);
  });
});

/** What a correct schema reads back after `roundTripEveryModel`. */
function expectedRoundTrip(ids: RoundTrip['ids']) {
  const input = ROUND_TRIP_INPUT;
  const date = expect.any(Date) as unknown;
  return {
    ids,
    task: {
      id: ids.task,
      title: input.title,
      description: '',
      status: 'blocked',
      ownerId: input.ownerId,
      createdAt: date,
      updatedAt: date,
    },
    taskUpdated: {
      id: ids.task,
      title: input.title,
      description: 'updated',
      status: 'done',
      ownerId: input.ownerId,
      createdAt: date,
      updatedAt: date,
    },
    memberCreated: { taskId: ids.task, userId: 'bob', addedAt: date },
    membersRead: [{ taskId: ids.task, userId: 'bob', addedAt: input.addedAt }],
    execution: {
      id: ids.execution,
      taskId: ids.task,
      status: 'queued',
      command: input.command,
      exitCode: null,
      signal: null,
      costUsd: input.costUsd,
      usage: input.usage,
      outputBytes: input.big,
      createdAt: date,
      startedAt: null,
      finishedAt: null,
    },
    executionUpdated: {
      id: ids.execution,
      taskId: ids.task,
      status: 'timed_out',
      command: input.command,
      exitCode: 137,
      signal: 'SIGKILL',
      costUsd: input.costUsd,
      usage: { replaced: true },
      outputBytes: input.big + 1n,
      createdAt: date,
      startedAt: null,
      finishedAt: input.finishedAt,
    },
    executionByArrayAndEnum: { id: ids.execution },
    streamCreated: { name: ids.stream, epoch: ids.epoch, lastSeq: input.big, firstSeq: 1n, createdAt: date },
    streamUpdated: {
      name: ids.stream,
      epoch: ids.epoch,
      lastSeq: input.big + 1n,
      firstSeq: 2n,
      createdAt: date,
    },
    eventRead: {
      stream: ids.stream,
      seq: input.big,
      id: ids.event,
      type: 'task.status_changed',
      payload: { taskId: ids.task, ...input.payload },
      occurredAt: input.occurredAt,
      storedAt: date,
    },
    eventUpdated: {
      stream: ids.stream,
      seq: input.big,
      id: ids.event,
      type: 'task.status_changed',
      payload: { taskId: ids.task },
      occurredAt: input.occurredAt,
      storedAt: date,
    },
    eventsAfterDelete: 0,
    eventsAfterStreamDelete: 0,
    membersAfterDelete: 0,
    afterTaskDelete: { task: null, members: 0, executions: 0 },
    userCreated: {
      id: ids.user,
      role: 'operator',
      roleSetBy: null,
      roleSetAt: null,
      disabled: false,
      sessionsValidAfter: null,
      updatedAt: date,
    },
    userUpdated: {
      id: ids.user,
      role: 'operator',
      roleSetBy: null,
      roleSetAt: null,
      disabled: true,
      sessionsValidAfter: input.sessionsValidAfter,
      updatedAt: date,
    },
    userAfterDelete: null,
    tokenCreated: { jti: ids.jti, userId: ids.user, expiresAt: input.tokenExpiresAt, revokedAt: date },
    tokenExpiringBefore: [
      { jti: ids.jti, userId: ids.user, expiresAt: input.sessionsValidAfter, revokedAt: date },
    ],
    tokensAfterDelete: 0,
    alertCreated: {
      id: ids.alert,
      fingerprint: ids.fingerprint,
      alertname: 'HeapHigh',
      severity: 'warning',
      labels: input.alertLabels,
      summary: 'heap at {value}',
      value: 1.6e9,
      threshold: 1.5e9,
      startsAt: input.occurredAt,
      lastNotifiedAt: input.occurredAt,
      notifications: 1,
      resolvedAt: null,
      acknowledgedBy: null,
      acknowledgedAt: null,
    },
    secondOpenAlert: 'refused',
    alertUpdated: {
      id: ids.alert,
      fingerprint: ids.fingerprint,
      alertname: 'HeapHigh',
      severity: 'warning',
      labels: input.alertLabels,
      summary: 'heap at {value}',
      value: 1.6e9,
      threshold: 1.5e9,
      startsAt: input.occurredAt,
      lastNotifiedAt: input.occurredAt,
      notifications: 2,
      resolvedAt: input.finishedAt,
      acknowledgedBy: 'alice',
      acknowledgedAt: input.finishedAt,
    },
    secondAlertOnceResolved: 'stored',
    alertsAfterDelete: 0,
  };
}

/** Dates cloned from a worker belong to Node's main realm, not to Jest's sandbox; rebuild them here. */
function intoThisRealm<T>(value: T): T {
  if (Object.prototype.toString.call(value) === '[object Date]')
    return new Date((value as Date).getTime()) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => intoThisRealm(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, intoThisRealm(item as unknown)]),
    ) as T;
  }
  return value;
}

/**
 * PGlite loads parts of itself with dynamic `import()`, which Jest's VM sandbox refuses
 * without --experimental-vm-modules; so the embedded round trip runs in a worker thread
 * (plain Node, TypeScript through ts-node) and posts back what it read.
 */
function inWorker(
  dir: string,
): Promise<{ first: MigrationResult; second: MigrationResult; roundTrip: RoundTrip }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    require(workerData.tsNode).register({ transpileOnly: true, swc: true, project: workerData.tsconfig });
    (async () => {
      const { openEmbedded } = require(workerData.factory);
      const { migrate } = require(workerData.migrator);
      const { roundTripEveryModel } = require(workerData.fixture);
      const handle = await openEmbedded(workerData.dir);
      try {
        const session = await handle.openSession();
        const first = await migrate(session);
        const second = await migrate(session);
        await session.release();
        parentPort.postMessage({ result: { first, second, roundTrip: await roundTripEveryModel(handle.prisma) } });
      } finally {
        await handle.close();
      }
    })().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }));`;
  const root = join(__dirname, '..', '..', '..', '..');
  const worker = new Worker(code, {
    eval: true,
    workerData: {
      dir,
      tsNode: require.resolve('ts-node'),
      tsconfig: join(root, 'tsconfig.json'),
      factory: join(__dirname, 'database.factory.ts'),
      migrator: join(__dirname, 'migrator.ts'),
      fixture: join(__dirname, '..', '..', 'test', 'every-model.fixture.ts'),
    },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (message: { result?: Awaited<ReturnType<typeof inWorker>>; error?: string }) => {
      void worker.terminate();
      if (message.result) resolve(intoThisRealm(message.result));
      else reject(new Error(message.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
  });
}

describe('schema and migrations agree', () => {
  it('the round trip covers every model of the generated client', () => {
    expect([...ROUND_TRIP_MODELS].sort()).toEqual(Object.values(Prisma.ModelName).sort());
  });

  it('the generated client creates, reads, updates and deletes every model on freshly migrated PostgreSQL', async () => {
    const db = await createTestDatabase({ migrated: false });
    const handle = openPostgres({ url: db.url, poolSize: 2 });
    try {
      const s = await handle.openSession();
      try {
        await migrate(s);
      } finally {
        await s.release();
      }
      const roundTrip = await roundTripEveryModel(handle.prisma);
      expect(roundTrip).toEqual(expectedRoundTrip(roundTrip.ids));
    } finally {
      await handle.close();
      await db.drop();
    }
  });

  it('the generated client creates, reads, updates and deletes every model on a migrated embedded PGlite database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskdash-pglite-'));
    try {
      const { first, second, roundTrip } = await inWorker(dir);
      expect(first).toEqual({ applied: names, alreadyApplied: 0 });
      expect(second).toEqual({ applied: [], alreadyApplied: names.length });
      expect(roundTrip).toEqual(expectedRoundTrip(roundTrip.ids));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
