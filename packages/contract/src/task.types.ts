import { z } from 'zod';
import type { StreamPosition } from './envelope';

export const TASK_STATUSES = ['todo', 'in_progress', 'blocked', 'done', 'cancelled'] as const;
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** A task as the API returns it and as `task.created` carries it. */
export const TaskSnapshotSchema = z.object({
  id: z.string().uuid(),
  title: z.string().min(1).max(200),
  description: z.string().max(10_000),
  status: TaskStatusSchema,
  ownerId: z.string().min(1).max(128),
  members: z.array(z.string().min(1).max(128)).max(1000),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskSnapshot = z.infer<typeof TaskSnapshotSchema>;

/**
 * A task as the HTTP API reads it, with the position of its `task:<id>` stream that the
 * snapshot reflects (read in one snapshot of the database with the row). Subscribing from
 * `position` delivers exactly the changes after the snapshot: none missed, none twice.
 * Absent only when the task has no stream (it never published).
 */
export type TaskView = TaskSnapshot & { position?: StreamPosition };
