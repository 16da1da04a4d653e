import { Injectable } from '@nestjs/common';
import { taskStream, userStream, type EventEnvelope, type EventPayloads, type TaskSnapshot } from '@taskdash/contract';
import { EventPublisher, type PublishInput, type PublishOptions } from '../events/event-publisher.service';

/**
 * Task lifecycle events, one method per fact. Events go to `task:<id>`; a user who gains
 * or loses access is also told on `user:<id>`; all the events of one fact are stored all
 * or nothing. Pass the domain transaction (`{ tx }` from `EventTransactions.run`) so the
 * row and its events commit together; they are delivered once it committed.
 *
 * @example
 * await this.transactions.run(async (tx) => {
 *   await tx.task.update({ where: { id: taskId }, data: { status: 'in_progress' } });
 *   await this.taskEvents.statusChanged({ taskId, from: 'todo', to: 'in_progress' }, { tx });
 * });
 */
@Injectable()
export class TaskEventsService {
  constructor(private readonly publisher: EventPublisher) {}

  created(input: { task: TaskSnapshot }, options?: PublishOptions): Promise<EventEnvelope[]> {
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
    ], options);
  }

  updated(input: EventPayloads['task.updated'], options?: PublishOptions): Promise<EventEnvelope> {
    return this.publisher.publish({ stream: taskStream(input.taskId), type: 'task.updated', payload: input }, options);
  }

  statusChanged(input: EventPayloads['task.status_changed'], options?: PublishOptions): Promise<EventEnvelope> {
    return this.publisher.publish(
      { stream: taskStream(input.taskId), type: 'task.status_changed', payload: input },
      options,
    );
  }

  memberAdded(input: EventPayloads['task.member_added'], options?: PublishOptions): Promise<EventEnvelope[]> {
    return this.publisher.publishMany(
      [
        { stream: taskStream(input.taskId), type: 'task.member_added', payload: input },
        { stream: userStream(input.userId), type: 'task.member_added', payload: input },
      ],
      options,
    );
  }

  memberRemoved(input: EventPayloads['task.member_removed'], options?: PublishOptions): Promise<EventEnvelope[]> {
    return this.publisher.publishMany(
      [
        { stream: taskStream(input.taskId), type: 'task.member_removed', payload: input },
        { stream: userStream(input.userId), type: 'task.member_removed', payload: input },
      ],
      options,
    );
  }

  /** `members` and `ownerId` are told on their user streams, since the task stream ends here. */
  deleted(
    input: { taskId: string; ownerId: string; members: string[] },
    options?: PublishOptions,
  ): Promise<EventEnvelope[]> {
    const payload = { taskId: input.taskId };
    const users = [...new Set([input.ownerId, ...input.members])];
    return this.publisher.publishMany([
      { stream: taskStream(input.taskId), type: 'task.deleted', payload },
      ...users.map((userId) => ({ stream: userStream(userId), type: 'task.deleted' as const, payload })),
    ], options);
  }
}
