import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { isAdmin, type Principal } from './principal.types';

/** Who may see or change a task: its owner, its members and admins. One place, used by the API and the sockets. */
@Injectable()
export class TaskAccessService {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** True when the task exists and the principal may see it (current state of the database). */
  async canSee(principal: Principal, taskId: string): Promise<boolean> {
    if (isAdmin(principal)) return (await this.prisma.task.count({ where: { id: taskId } })) > 0;
    const count = await this.prisma.task.count({
      where: {
        id: taskId,
        OR: [{ ownerId: principal.userId }, { members: { some: { userId: principal.userId } } }],
      },
    });
    return count > 0;
  }

  /** Visibility of an execution is that of its task. */
  async canSeeExecution(principal: Principal, executionId: string): Promise<boolean> {
    const execution = await this.prisma.execution.findUnique({ where: { id: executionId }, select: { taskId: true } });
    return execution !== null && this.canSee(principal, execution.taskId);
  }
}
