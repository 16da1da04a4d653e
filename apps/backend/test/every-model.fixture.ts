import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../src/generated/prisma/client';

/**
 * What `roundTripEveryModel` writes. The test compares what it reads back against these, so
 * the same check runs on PostgreSQL (in the Jest process) and on PGlite (in a worker thread,
 * because PGlite's dynamic imports need a plain Node realm, which Jest's VM sandbox is not).
 */
export const ROUND_TRIP_INPUT = {
  title: 'schema check',
  ownerId: 'alice',
  /** Beyond Number.MAX_SAFE_INTEGER, so a lossy BigInt mapping shows. */
  big: 2n ** 62n + 7n,
  command: ['node', '-e', 'console.log("hi, there")', ''],
  usage: { inputTokens: 1200, model: 'x', nested: { list: [1, 'two', null, true] } },
  costUsd: 0.125,
  addedAt: new Date('2030-01-02T03:04:05.678Z'),
  finishedAt: new Date('2030-01-02T03:04:06.001Z'),
  occurredAt: new Date('2030-01-02T03:04:05.006Z'),
  payload: { from: 'todo', to: 'done', deep: { a: [1, { b: 'c' }] } },
  sessionsValidAfter: new Date('2030-01-02T03:04:07.000Z'),
  tokenExpiresAt: new Date('2030-01-02T04:04:05.000Z'),
  alertLabels: { alertname: 'HeapHigh', node: 'n1', queue: null },
} as const;

/** The models the round trip covers; the test checks this against the generated client. */
export const ROUND_TRIP_MODELS = [
  'Task',
  'TaskMember',
  'Execution',
  'EventStream',
  'Event',
  'User',
  'RevokedToken',
  'Alert',
] as const;

/** Creates, reads, updates and deletes a row of every model; returns what it read back at each step. */
export async function roundTripEveryModel(prisma: PrismaClient) {
  const input = ROUND_TRIP_INPUT;
  const task = await prisma.task.create({
    data: { title: input.title, ownerId: input.ownerId, status: 'blocked' },
  });
  await prisma.task.update({ where: { id: task.id }, data: { status: 'done', description: 'updated' } });
  const taskUpdated = await prisma.task.findUnique({ where: { id: task.id } });

  const memberKey = { taskId_userId: { taskId: task.id, userId: 'bob' } };
  const memberCreated = await prisma.taskMember.create({ data: { taskId: task.id, userId: 'bob' } });
  await prisma.taskMember.update({ where: memberKey, data: { addedAt: input.addedAt } });
  const membersRead = (await prisma.task.findUnique({ where: { id: task.id }, include: { members: true } }))
    ?.members;

  const execution = await prisma.execution.create({
    data: {
      taskId: task.id,
      command: [...input.command],
      usage: input.usage,
      outputBytes: input.big,
      costUsd: input.costUsd,
    },
  });
  await prisma.execution.update({
    where: { id: execution.id },
    data: {
      status: 'timed_out',
      exitCode: 137,
      signal: 'SIGKILL',
      outputBytes: { increment: 1n },
      finishedAt: input.finishedAt,
      usage: { replaced: true },
    },
  });
  const executionUpdated = await prisma.execution.findUnique({ where: { id: execution.id } });
  const executionByArrayAndEnum = await prisma.execution.findFirst({
    where: { command: { has: 'node' }, status: 'timed_out' },
    select: { id: true },
  });

  const name = `task:${task.id}`;
  const epoch = randomUUID();
  const streamCreated = await prisma.eventStream.create({ data: { name, epoch, lastSeq: input.big } });
  await prisma.eventStream.update({ where: { name }, data: { lastSeq: { increment: 1n }, firstSeq: 2n } });
  const streamUpdated = await prisma.eventStream.findUnique({ where: { name } });

  const eventId = randomUUID();
  const payload = { taskId: task.id, ...input.payload };
  await prisma.event.create({
    data: {
      stream: name,
      seq: input.big,
      id: eventId,
      type: 'task.status_changed',
      payload,
      occurredAt: input.occurredAt,
    },
  });
  const eventRead = await prisma.event.findUnique({
    where: { stream_seq: { stream: name, seq: input.big } },
  });
  await prisma.event.update({ where: { id: eventId }, data: { payload: { taskId: task.id } } });
  const eventUpdated = await prisma.event.findUnique({ where: { id: eventId } });
  await prisma.event.delete({ where: { id: eventId } });
  const eventsAfterDelete = await prisma.event.count({ where: { stream: name } });

  // Deletes cascade as the schema says: stream -> events, task -> members and executions.
  await prisma.event.create({
    data: {
      stream: name,
      seq: 1n,
      id: randomUUID(),
      type: 'task.deleted',
      payload: {},
      occurredAt: input.occurredAt,
    },
  });
  await prisma.eventStream.delete({ where: { name } });
  const eventsAfterStreamDelete = await prisma.event.count({ where: { stream: name } });
  await prisma.taskMember.delete({ where: memberKey });
  const membersAfterDelete = await prisma.taskMember.count({ where: { taskId: task.id } });
  await prisma.taskMember.create({ data: { taskId: task.id, userId: 'carol' } });
  await prisma.task.delete({ where: { id: task.id } });

  const userId = `user-${randomUUID()}`;
  const userCreated = await prisma.user.create({ data: { id: userId, role: 'operator' } });
  await prisma.user.update({
    where: { id: userId },
    data: { disabled: true, sessionsValidAfter: input.sessionsValidAfter },
  });
  const userUpdated = await prisma.user.findUnique({ where: { id: userId } });
  await prisma.user.delete({ where: { id: userId } });
  const userAfterDelete = await prisma.user.findUnique({ where: { id: userId } });

  const jti = randomUUID();
  const tokenCreated = await prisma.revokedToken.create({
    data: { jti, userId, expiresAt: input.tokenExpiresAt },
  });
  await prisma.revokedToken.update({ where: { jti }, data: { expiresAt: input.sessionsValidAfter } });
  const tokenExpiringBefore = await prisma.revokedToken.findMany({
    where: { expiresAt: { lt: input.tokenExpiresAt }, userId },
  });
  await prisma.revokedToken.delete({ where: { jti } });
  const tokensAfterDelete = await prisma.revokedToken.count({ where: { userId } });

  const fingerprint = randomUUID();
  const alert = {
    fingerprint,
    alertname: 'HeapHigh',
    severity: 'warning',
    labels: input.alertLabels,
    summary: 'heap at {value}',
    value: 1.6e9,
    threshold: 1.5e9,
    startsAt: input.occurredAt,
    lastNotifiedAt: input.occurredAt,
  };
  const alertId = randomUUID();
  const alertCreated = await prisma.alert.create({ data: { id: alertId, ...alert } });
  // The migration (not the schema) allows one open alert per fingerprint.
  const secondOpenAlert = await prisma.alert.create({ data: { id: randomUUID(), ...alert } }).then(
    () => 'stored',
    () => 'refused',
  );
  await prisma.alert.update({
    where: { id: alertId },
    data: {
      acknowledgedBy: 'alice',
      acknowledgedAt: input.finishedAt,
      resolvedAt: input.finishedAt,
      notifications: { increment: 1 },
    },
  });
  const alertUpdated = await prisma.alert.findUnique({ where: { id: alertId } });
  const secondAlertOnceResolved = await prisma.alert.create({ data: { id: randomUUID(), ...alert } }).then(
    () => 'stored',
    () => 'refused',
  );
  await prisma.alert.deleteMany({ where: { fingerprint } });
  const alertsAfterDelete = await prisma.alert.count({ where: { fingerprint } });

  return {
    ids: {
      task: task.id,
      execution: execution.id,
      stream: name,
      epoch,
      event: eventId,
      user: userId,
      jti,
      alert: alertId,
      fingerprint,
    },
    task,
    taskUpdated,
    memberCreated,
    membersRead,
    execution,
    executionUpdated,
    executionByArrayAndEnum,
    streamCreated,
    streamUpdated,
    eventRead,
    eventUpdated,
    eventsAfterDelete,
    eventsAfterStreamDelete,
    membersAfterDelete,
    afterTaskDelete: {
      task: await prisma.task.findUnique({ where: { id: task.id } }),
      members: await prisma.taskMember.count({ where: { taskId: task.id } }),
      executions: await prisma.execution.count({ where: { taskId: task.id } }),
    },
    userCreated,
    userUpdated,
    userAfterDelete,
    tokenCreated,
    tokenExpiringBefore,
    tokensAfterDelete,
    alertCreated,
    secondOpenAlert,
    alertUpdated,
    secondAlertOnceResolved,
    alertsAfterDelete,
  };
}

export type RoundTrip = Awaited<ReturnType<typeof roundTripEveryModel>>;
