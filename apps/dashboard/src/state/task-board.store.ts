import { isEvent, type EventEnvelope, type TaskSnapshot } from '@taskdash/contract';
import { Emitter } from './emitter';

/** Events kept per task for its timeline. */
const TIMELINE_LIMIT = 300;

/** What the board needs done after an event that it cannot apply from the event alone. */
export type BoardFollowUp = { kind: 'fetch'; taskId: string } | { kind: 'forget'; taskId: string } | undefined;

/**
 * The tasks this user may see, kept live from their task streams and the user's own stream,
 * and each task's event timeline (from the moment the page started following it).
 */
export class TaskBoardStore extends Emitter {
  private readonly tasks = new Map<string, TaskSnapshot>();
  private readonly timelines = new Map<string, EventEnvelope[]>();

  constructor(private readonly userId: string, private readonly isAdmin: boolean) {
    super();
  }

  list(): TaskSnapshot[] {
    return [...this.tasks.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(taskId: string): TaskSnapshot | undefined {
    return this.tasks.get(taskId);
  }

  timeline(taskId: string): readonly EventEnvelope[] {
    return this.timelines.get(taskId) ?? [];
  }

  /** Replaces the board with what the API returned (first load, or a reload). */
  load(tasks: readonly TaskSnapshot[]): void {
    this.tasks.clear();
    for (const task of tasks) this.tasks.set(task.id, task);
    this.changed();
  }

  put(task: TaskSnapshot): void {
    this.tasks.set(task.id, task);
    this.changed();
  }

  remove(taskId: string): void {
    if (this.tasks.delete(taskId)) this.changed();
  }

  /** Applies one event of a `task:<id>` or this user's `user:<id>` stream. */
  apply(event: EventEnvelope): BoardFollowUp {
    if (event.stream.startsWith('task:')) this.record(event.stream.slice(5), event);
    const followUp = this.update(event);
    this.changed();
    return followUp;
  }

  private update(event: EventEnvelope): BoardFollowUp {
    if (isEvent(event, 'task.created')) {
      this.tasks.set(event.payload.task.id, event.payload.task);
      return undefined;
    }
    if (isEvent(event, 'task.updated')) {
      const task = this.tasks.get(event.payload.taskId);
      if (task) this.tasks.set(task.id, { ...task, ...event.payload.changes, updatedAt: event.occurredAt });
      return undefined;
    }
    if (isEvent(event, 'task.status_changed')) {
      const task = this.tasks.get(event.payload.taskId);
      if (task) this.tasks.set(task.id, { ...task, status: event.payload.to, updatedAt: event.occurredAt });
      return undefined;
    }
    if (isEvent(event, 'task.member_added')) {
      const { taskId, userId } = event.payload;
      const task = this.tasks.get(taskId);
      if (!task) return userId === this.userId ? { kind: 'fetch', taskId } : undefined;
      if (!task.members.includes(userId)) this.tasks.set(taskId, { ...task, members: [...task.members, userId] });
      return undefined;
    }
    if (isEvent(event, 'task.member_removed')) {
      const { taskId, userId } = event.payload;
      const task = this.tasks.get(taskId);
      if (task) this.tasks.set(taskId, { ...task, members: task.members.filter((m) => m !== userId) });
      const lostAccess = userId === this.userId && task?.ownerId !== this.userId && !this.isAdmin;
      if (lostAccess) this.tasks.delete(taskId);
      return lostAccess ? { kind: 'forget', taskId } : undefined;
    }
    if (isEvent(event, 'task.deleted')) {
      this.tasks.delete(event.payload.taskId);
      return { kind: 'forget', taskId: event.payload.taskId };
    }
    return undefined;
  }

  private record(taskId: string, event: EventEnvelope): void {
    let timeline = this.timelines.get(taskId);
    if (!timeline) this.timelines.set(taskId, (timeline = []));
    // Progress folds into its job's row anyway: keep only a job's latest report of a run of them,
    // so a chatty job does not push the status changes out of the kept window.
    const last = timeline.at(-1);
    if (event.type === 'job.progress' && last?.type === 'job.progress' && sameJob(last, event)) timeline[timeline.length - 1] = event;
    else timeline.push(event);
    if (timeline.length > TIMELINE_LIMIT) timeline.splice(0, timeline.length - TIMELINE_LIMIT);
  }
}

const sameJob = (a: EventEnvelope, b: EventEnvelope): boolean =>
  (a.payload as { jobId?: string }).jobId === (b.payload as { jobId?: string }).jobId;
