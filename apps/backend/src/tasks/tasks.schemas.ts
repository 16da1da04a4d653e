import { isUserId, TaskStatusSchema } from '@taskdash/contract';
import { z } from 'zod';

const userId = z.string().refine(isUserId, 'must be a user id (1-128 of A-Z a-z 0-9 . _ @ | + -)');

export const CreateTaskSchema = z.strictObject({
  title: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).default(''),
  members: z.array(userId).max(100).default([]),
});
export type CreateTaskBody = z.infer<typeof CreateTaskSchema>;

export const UpdateTaskSchema = z
  .strictObject({ title: z.string().trim().min(1).max(200).optional(), description: z.string().max(10_000).optional() })
  .refine((body) => body.title !== undefined || body.description !== undefined, 'name at least one field');
export type UpdateTaskBody = z.infer<typeof UpdateTaskSchema>;

export const ChangeStatusSchema = z.strictObject({ status: TaskStatusSchema });
export type ChangeStatusBody = z.infer<typeof ChangeStatusSchema>;

export const AddMemberSchema = z.strictObject({ userId });
export type AddMemberBody = z.infer<typeof AddMemberSchema>;

export const TaskIdSchema = z.string().uuid('must be a task id (uuid)');
export const UserIdSchema = userId;

export const ListTasksSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
