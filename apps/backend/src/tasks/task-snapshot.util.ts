import type { TaskSnapshot } from '@taskdash/contract';
import type { Task, TaskMember } from '../generated/prisma/client';

export type TaskWithMembers = Task & { members: Pick<TaskMember, 'userId'>[] };

export const TASK_WITH_MEMBERS = { members: { select: { userId: true }, orderBy: { addedAt: 'asc' } } } as const;

export function toTaskSnapshot(task: TaskWithMembers): TaskSnapshot {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    status: task.status,
    ownerId: task.ownerId,
    members: task.members.map((member) => member.userId),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}
