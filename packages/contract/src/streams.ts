/**
 * Stream names. A stream is an ordered, numbered history of events; a socket subscribes to
 * streams by name. Names are ASCII, at most 200 characters:
 * - `task:<uuid>`       lifecycle of one task (owner, members, admins)
 * - `user:<id>`         events addressed to one user (only that user)
 * - `execution:<uuid>`  output of one agent execution (whoever sees its task)
 * - `queue:<name>`      job events and overview of one queue (admins and operators)
 * - `system`            health snapshots and alerts (admins and operators)
 */
export type StreamKind = 'task' | 'user' | 'execution' | 'queue' | 'system';

export interface ParsedStream {
  kind: StreamKind;
  /** The id after the colon; empty for `system`. */
  id: string;
}

export const MAX_STREAM_NAME_LENGTH = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** User ids come from the identity provider's `sub`; keep them to a safe charset. */
const USER_ID = /^[A-Za-z0-9._@|+-]{1,128}$/;
const QUEUE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Parses a stream name; `null` when it is malformed. */
export function parseStream(name: unknown): ParsedStream | null {
  if (typeof name !== 'string' || name.length > MAX_STREAM_NAME_LENGTH) return null;
  if (name === 'system') return { kind: 'system', id: '' };
  const colon = name.indexOf(':');
  if (colon < 0) return null;
  const kind = name.slice(0, colon);
  const id = name.slice(colon + 1);
  switch (kind) {
    case 'task':
    case 'execution':
      return UUID.test(id) ? { kind, id } : null;
    case 'user':
      return USER_ID.test(id) ? { kind, id } : null;
    case 'queue':
      return QUEUE_NAME.test(id) ? { kind, id } : null;
    default:
      return null;
  }
}

export const isUserId = (id: string): boolean => USER_ID.test(id);
export const taskStream = (taskId: string): string => `task:${taskId}`;
export const userStream = (userId: string): string => `user:${userId}`;
export const executionStream = (executionId: string): string => `execution:${executionId}`;
export const queueStream = (queueName: string): string => `queue:${queueName}`;
export const SYSTEM_STREAM = 'system';
