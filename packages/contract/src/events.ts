import { z } from 'zod';
import { EXECUTION_EVENT_PAYLOAD_SCHEMAS } from './execution-events';
import { JOB_EVENT_PAYLOAD_SCHEMAS } from './job-events';
import { SYSTEM_EVENT_PAYLOAD_SCHEMAS } from './system-events';
import { TaskSnapshotSchema, TaskStatusSchema } from './task.types';

const id = z.string().min(1).max(128);
const uuid = z.string().uuid();

/**
 * Every event type and the runtime schema of its payload. The publisher validates each
 * payload against this map before storing it, so what a client receives always matches
 * the types below. Add a type here (and to the AsyncAPI document) to add an event.
 */
export const EVENT_PAYLOAD_SCHEMAS = {
  /** A task was created. Stream: `task:<id>`. */
  'task.created': z.object({ task: TaskSnapshotSchema }),
  /** Title or description changed; `changes` holds only the changed fields. Stream: `task:<id>`. */
  'task.updated': z.object({
    taskId: uuid,
    changes: z.object({ title: z.string().max(200).optional(), description: z.string().max(10_000).optional() }),
  }),
  /** Status moved from one value to another. Stream: `task:<id>`. */
  'task.status_changed': z.object({ taskId: uuid, from: TaskStatusSchema, to: TaskStatusSchema }),
  /** A member was added. Streams: `task:<id>` and the member's `user:<id>`. */
  'task.member_added': z.object({ taskId: uuid, userId: id, title: z.string().max(200) }),
  /** A member was removed. Streams: `task:<id>` and the member's `user:<id>`. */
  'task.member_removed': z.object({ taskId: uuid, userId: id }),
  /** The task was deleted; its streams end here. Stream: `task:<id>`. */
  'task.deleted': z.object({ taskId: uuid }),
  /** Queue job events and the queue overview (see job-events.ts). */
  ...JOB_EVENT_PAYLOAD_SCHEMAS,
  /** Health snapshots and alerts (see system-events.ts). */
  ...SYSTEM_EVENT_PAYLOAD_SCHEMAS,
  /** Agent execution output and Claude Code events (see execution-events.ts). */
  ...EXECUTION_EVENT_PAYLOAD_SCHEMAS,
} as const;

export type EventType = keyof typeof EVENT_PAYLOAD_SCHEMAS;
export type EventPayloads = { [K in EventType]: z.infer<(typeof EVENT_PAYLOAD_SCHEMAS)[K]> };
export const EVENT_TYPES = Object.keys(EVENT_PAYLOAD_SCHEMAS) as EventType[];

export const isEventType = (type: string): type is EventType =>
  Object.prototype.hasOwnProperty.call(EVENT_PAYLOAD_SCHEMAS, type);
