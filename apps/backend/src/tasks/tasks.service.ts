import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  executionStream,
  taskStream,
  type EventEnvelope,
  type TaskSnapshot,
  type TaskStatus,
  type TaskView,
} from '@taskdash/contract';
import { isAdmin, type Principal } from '../auth/principal.types';
import { ApiException } from '../common/api.exception';
import { PRISMA } from '../database/database.types';
import { EventTransactions, type EventTx } from '../events/event-transactions.service';
import type { PrismaClient } from '../generated/prisma/client';
import { AccessRevocationService } from '../websocket/channels/access-revocation.service';
import { TaskEventsService } from './task-events.service';
import { TASK_WITH_MEMBERS, toTaskSnapshot, type TaskWithMembers } from './task-snapshot.util';
import type { CreateTaskBody, UpdateTaskBody } from './tasks.schemas';

/** Reads that must see rows and stream positions as of one moment. */
const READ_SNAPSHOT = { isolationLevel: 'RepeatableRead' } as const;

const notFound = () => new ApiException(ErrorCode.NotFound, 'no such task', 404);

/**
 * The task API's rules. Every change and its events are one transaction
 * (`EventTransactions.run`): the row and the events commit together or not at all, and a
 * stream's events commit in seq order, so the stream never contradicts the rows. The HTTP
 * answer is sent after the commit, so a client that saw it can always find the event.
 */
@Injectable()
export class TasksService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly transactions: EventTransactions,
    private readonly events: TaskEventsService,
    private readonly access: AccessRevocationService,
  ) {}

  async create(principal: Principal, body: CreateTaskBody): Promise<TaskView> {
    const members = [...new Set(body.members)].filter((id) => id !== principal.userId);
    return this.transactions.run(async (tx) => {
      const task = await tx.task.create({
        data: {
          title: body.title,
          description: body.description,
          ownerId: principal.userId,
          members: { create: members.map((userId) => ({ userId })) },
        },
        include: TASK_WITH_MEMBERS,
      });
      const snapshot = toTaskSnapshot(task);
      return this.viewIn(tx, snapshot, await this.events.created({ task: snapshot }, { tx }));
    });
  }

  /**
   * The tasks this principal may see, each with its stream's position, all read in one
   * REPEATABLE READ snapshot: a row and its position always agree, because a change and
   * its event commit together.
   */
  async list(principal: Principal, limit: number): Promise<TaskView[]> {
    const where = isAdmin(principal)
      ? {}
      : { OR: [{ ownerId: principal.userId }, { members: { some: { userId: principal.userId } } }] };
    return this.prisma.$transaction(async (tx) => {
      const tasks = await tx.task.findMany({
        where,
        include: TASK_WITH_MEMBERS,
        orderBy: { createdAt: 'desc' },
        take: limit,
      });
      return this.withPositions(tx, tasks);
    }, READ_SNAPSHOT);
  }

  async get(principal: Principal, taskId: string): Promise<TaskView> {
    const [view] = await this.prisma.$transaction(
      async (tx) => this.withPositions(tx, [await this.findVisible(principal, taskId, tx)]),
      READ_SNAPSHOT,
    );
    return view!;
  }

  async update(principal: Principal, taskId: string, body: UpdateTaskBody): Promise<TaskView> {
    await this.findVisible(principal, taskId);
    return this.transactions.run(async (tx) => {
      const task = await tx.task.update({ where: { id: taskId }, data: body, include: TASK_WITH_MEMBERS });
      const event = await this.events.updated({ taskId, changes: body }, { tx });
      return this.viewIn(tx, toTaskSnapshot(task), [event]);
    });
  }

  async changeStatus(principal: Principal, taskId: string, status: TaskStatus): Promise<TaskView> {
    const visible = await this.findVisible(principal, taskId);
    return this.transactions.run(async (tx) => {
      // Read the old status and write the new one in one statement, under the row's lock.
      // The lock is held until commit and the event is appended before it, so concurrent
      // changes commit one after the other, each event's `from` is the previous one's `to`,
      // and the last event's `to` is the row's status. The row comes back from the same
      // statement (members as read just before: membership changes are their own events).
      const rows = await tx.$queryRaw<
        { old: TaskStatus; title: string; description: string; updated_at: Date }[]
      >`
        UPDATE tasks t SET status = ${status}::"TaskStatus", updated_at = now()
        FROM (SELECT id, status AS old FROM tasks WHERE id = ${taskId}::uuid FOR UPDATE) o
        WHERE t.id = o.id RETURNING o.old, t.title, t.description, t.updated_at`;
      const row = rows[0];
      if (row === undefined) throw notFound();
      const stored =
        row.old !== status ? [await this.events.statusChanged({ taskId, from: row.old, to: status }, { tx })] : [];
      const snapshot = toTaskSnapshot({
        ...visible,
        title: row.title,
        description: row.description,
        status,
        updatedAt: new Date(row.updated_at),
      });
      return this.viewIn(tx, snapshot, stored);
    });
  }

  async addMember(principal: Principal, taskId: string, userId: string): Promise<TaskView> {
    const task = await this.findManageable(principal, taskId);
    // As on create, the owner is never a member; otherwise removing them would tell them they lost access.
    if (userId === task.ownerId) return this.get(principal, taskId);
    return this.transactions.run(async (tx) => {
      const inserted = await tx.taskMember.createMany({ data: [{ taskId, userId }], skipDuplicates: true });
      const stored = inserted.count > 0 ? await this.events.memberAdded({ taskId, userId, title: task.title }, { tx }) : [];
      return this.viewIn(tx, await this.snapshotIn(tx, taskId), stored);
    });
  }

  async removeMember(principal: Principal, taskId: string, userId: string): Promise<TaskView> {
    await this.findManageable(principal, taskId);
    let streams: string[] = [];
    return this.transactions.run(
      async (tx) => {
        const removed = await tx.taskMember.deleteMany({ where: { taskId, userId } });
        streams = removed.count > 0 ? await this.streamsOf(tx, taskId) : [];
        const stored = removed.count > 0 ? await this.events.memberRemoved({ taskId, userId }, { tx }) : [];
        return this.viewIn(tx, await this.snapshotIn(tx, taskId), stored);
      },
      {
        // Live sockets lose the streams on every node after the commit (a resubscribe then
        // finds no membership) and before its events, or anything later, are delivered.
        beforeDelivery: async () => {
          if (streams.length > 0)
            await this.access.apply({ kind: 'streams', userId, streams, at: Date.now() });
        },
      },
    );
  }

  async delete(principal: Principal, taskId: string): Promise<void> {
    const task = await this.findManageable(principal, taskId);
    const streams = await this.transactions.run(async (tx) => {
      const streams = await this.streamsOf(tx, taskId);
      await tx.task.delete({ where: { id: taskId } });
      await this.events.deleted(
        { taskId, members: task.members.map((m) => m.userId), ownerId: task.ownerId },
        { tx },
      );
      return streams;
    });
    // Subscribers see `task.deleted` on the task stream, then lose it (and its executions).
    await this.access.apply({ kind: 'streams-all', streams, at: Date.now() });
  }

  /** The task's stream and its executions' streams: what access to the task covers. */
  private async streamsOf(tx: EventTx, taskId: string): Promise<string[]> {
    const executions = await tx.execution.findMany({ where: { taskId }, select: { id: true } });
    return [taskStream(taskId), ...executions.map((e) => executionStream(e.id))];
  }

  /** The task as this transaction leaves it. */
  private async snapshotIn(tx: EventTx, taskId: string): Promise<TaskSnapshot> {
    const task = await tx.task.findUnique({ where: { id: taskId }, include: TASK_WITH_MEMBERS });
    if (!task) throw notFound();
    return toTaskSnapshot(task);
  }

  /** The tasks with their streams' positions as `tx` sees them. */
  private async withPositions(tx: EventTx, tasks: TaskWithMembers[]): Promise<TaskView[]> {
    const streams = await tx.eventStream.findMany({
      where: { name: { in: tasks.map((task) => taskStream(task.id)) } },
      select: { name: true, epoch: true, lastSeq: true },
    });
    const positions = new Map(streams.map((s) => [s.name, { seq: Number(s.lastSeq), epoch: s.epoch }]));
    return tasks.map((task) => {
      const position = positions.get(taskStream(task.id));
      return { ...toTaskSnapshot(task), ...(position && { position }) };
    });
  }

  /**
   * A write's answer: the task and its stream's position once this transaction commits,
   * which is that of the task-stream event it stored (the stream is locked until commit),
   * or, when it stored none, the stream's head as the transaction sees it.
   */
  private async viewIn(tx: EventTx, task: TaskSnapshot, stored: readonly EventEnvelope[]): Promise<TaskView> {
    const own = stored.find((event) => event.stream === taskStream(task.id));
    if (own) return { ...task, position: { seq: own.seq, epoch: own.epoch } };
    const head = await tx.eventStream.findUnique({ where: { name: taskStream(task.id) }, select: { epoch: true, lastSeq: true } });
    return { ...task, ...(head && { position: { seq: Number(head.lastSeq), epoch: head.epoch } }) };
  }

  private async findVisible(
    principal: Principal,
    taskId: string,
    db: EventTx = this.prisma,
  ): Promise<TaskWithMembers> {
    const task = await db.task.findUnique({ where: { id: taskId }, include: TASK_WITH_MEMBERS });
    if (!task) throw notFound();
    const visible =
      isAdmin(principal) ||
      task.ownerId === principal.userId ||
      task.members.some((m) => m.userId === principal.userId);
    if (!visible) throw notFound();
    return task;
  }

  /** Membership and deletion are for the owner and admins; members may only see and edit. */
  private async findManageable(principal: Principal, taskId: string): Promise<TaskWithMembers> {
    const task = await this.findVisible(principal, taskId);
    if (!isAdmin(principal) && task.ownerId !== principal.userId) {
      throw new ApiException(ErrorCode.Forbidden, 'only the owner or an admin may do this', 403);
    }
    return task;
  }
}
