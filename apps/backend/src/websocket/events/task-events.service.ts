import { Injectable } from '@nestjs/common';
import { taskStream, userStream, type EventEnvelope, type EventPayloads, type TaskSnapshot } from '@taskdash/contract';
import { EventPublisher, type PublishInput } from '../persistence/event-publisher.service';

/**
 * Task lifecycle events, one method per fact. Each resolves once the events are stored.
 * Events go to `task:<id>`; a user who gains or loses access is also told on `user:<id>`.
 *
 * @example
 * constructor(private readonly taskEvents: TaskEventsService) {}
 * await this.taskEvents.statusChanged({ taskId, from: 'todo', to: 'in_progress' });
 */
@Injectable()
export class TaskEventsService {
  constructor(private readonly publisher: EventPublisher) {}

  created(input: { task: TaskSnapshot }): Promise<EventEnvelope[]> {
    const { task } = input;
    const told: PublishInput[] = task.members
      .filter((userId) => userId !== task.ownerId)
      .map((userId) => ({
        stream: userStream(userId),
        type: 'task.member_added' as const,
        payload: { taskId: task.id, userId, title: task.title },
      }));
    return this.publisher.publishMany([
      { stream: taskStream(task.id), type: 'task.created', payload: { task } },
      { stream: userStream(task.ownerId), type: 'task.created', payload: { task } },
      ...told,
    ]);
  }

  updated(input: EventPayloads['task.updated']): Promise<EventEnvelope> {
    return this.publisher.publish({ stream: taskStream(input.taskId), type: 'task.updated', payload: input });
  }

  statusChanged(input: EventPayloads['task.status_changed']): Promise<EventEnvelope> {
    return this.publisher.publish({ stream: taskStream(input.taskId), type: 'task.status_changed', payload: input });
  }

  memberAdded(input: EventPayloads['task.member_added']): Promise<EventEnvelope[]> {
    return this.publisher.publishMany([
      { stream: taskStream(input.taskId), type: 'task.member_added', payload: input },
      { stream: userStream(input.userId), type: 'task.member_added', payload: input },
    ]);
  }

  memberRemoved(input: EventPayloads['task.member_removed']): Promise<EventEnvelope[]> {
    return this.publisher.publishMany([
      { stream: taskStream(input.taskId), type: 'task.member_removed', payload: input },
      { stream: userStream(input.userId), type: 'task.member_removed', payload: input },
    ]);
  }

  /** `members` and `ownerId` are told on their user streams, since the task stream ends here. */
  deleted(input: { taskId: string; ownerId: string; members: string[] }): Promise<EventEnvelope[]> {
    const payload = { taskId: input.taskId };
    const users = [...new Set([input.ownerId, ...input.members])];
    return this.publisher.publishMany([
      { stream: taskStream(input.taskId), type: 'task.deleted', payload },
      ...users.map((userId) => ({ stream: userStream(userId), type: 'task.deleted' as const, payload })),
    ]);
  }
}
