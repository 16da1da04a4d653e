import { Injectable } from '@nestjs/common';
import { queueStream, taskStream, type EventEnvelope, type EventPayloads, type EventType } from '@taskdash/contract';
import { EventPublisher, type PublishInput } from '../events/event-publisher.service';
import { EventStore } from '../events/event-store';
import { stableEventId } from '../events/stable-event-id.util';

/** Job events that describe one job. */
export type JobEventType = Exclude<Extract<EventType, `job.${string}`>, 'job.reload_required'>;

/**
 * A job event to publish. `key` names the fact (e.g. queue and stream entry id): the
 * event's id derives from it, so publishing the same fact again can be detected.
 */
export type JobEvent = { key: string; occurredAt?: Date } & {
  [T in JobEventType]: { type: T; payload: EventPayloads[T] };
}[JobEventType];

export interface IdempotentOptions {
  /** Leave out events already stored (resuming a batch that may be partly published). @default false */
  skipStored?: boolean;
}

/**
 * Queue and job events, published through the one publish path. Job events go to
 * `queue:<name>` and, for a job of a task, to `task:<id>`. Each resolves once stored.
 *
 * @example
 * await queueEvents.jobEvents([{ key: `executions|${entryId}`, type: 'job.active', payload: { queue, jobId } }]);
 */
@Injectable()
export class QueueEventsService {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly store: EventStore,
  ) {}

  /** Publishes job events in order (per stream); returns how many events were published. */
  jobEvents(events: readonly JobEvent[], options: IdempotentOptions = {}): Promise<number> {
    const inputs = events.flatMap((event) => {
      const streams = [queueStream(event.payload.queue), ...(event.payload.taskId ? [taskStream(event.payload.taskId)] : [])];
      return streams.map((stream): PublishInput => ({
        stream,
        type: event.type,
        payload: event.payload,
        id: stableEventId(`${event.key}|${stream}`),
        ...(event.occurredAt ? { occurredAt: event.occurredAt } : {}),
      }));
    });
    return this.publishIdempotent(inputs, options);
  }

  /** Tells the queue's watchers, and each affected task, which jobs to reload after lost events. */
  reloadRequired(key: string, payload: EventPayloads['job.reload_required'], options: IdempotentOptions = {}): Promise<number> {
    const byTask = new Map<string, EventPayloads['job.reload_required']['jobs']>();
    for (const job of payload.jobs) if (job.taskId) byTask.set(job.taskId, [...(byTask.get(job.taskId) ?? []), job]);
    const targets: Array<[string, EventPayloads['job.reload_required']]> = [
      [queueStream(payload.queue), payload],
      ...[...byTask].map(([taskId, jobs]): [string, EventPayloads['job.reload_required']] => [taskStream(taskId), { ...payload, jobs }]),
    ];
    const inputs = targets.map(([stream, body]): PublishInput => ({
      stream,
      type: 'job.reload_required',
      payload: body,
      id: stableEventId(`${key}|${stream}`),
    }));
    return this.publishIdempotent(inputs, options);
  }

  /** Announces an operator's action on the queue to its watchers and, for a job of a task, to the task. */
  async action(payload: EventPayloads['queue.action']): Promise<void> {
    const streams = [queueStream(payload.queue), ...(payload.taskId ? [taskStream(payload.taskId)] : [])];
    // One time for both copies, so a client that receives both can tell they are one action.
    const occurredAt = new Date();
    await this.publisher.publishMany(streams.map((stream): PublishInput => ({ stream, type: 'queue.action', payload, occurredAt })));
  }

  overview(payload: EventPayloads['queue.overview']): Promise<EventEnvelope> {
    return this.publisher.publish({ stream: queueStream(payload.queue), type: 'queue.overview', payload });
  }

  private async publishIdempotent(inputs: PublishInput[], options: IdempotentOptions): Promise<number> {
    let pending = inputs;
    if (options.skipStored && inputs.length > 0) {
      const stored = new Set((await this.store.findByIds(inputs.map((input) => input.id!))).map((event) => event.id));
      pending = inputs.filter((input) => !stored.has(input.id!));
    }
    await this.publisher.publishMany(pending);
    return pending.length;
  }
}
