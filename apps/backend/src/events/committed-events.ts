import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '@taskdash/contract';

/** Receives events right after they committed. */
export type CommittedListener = (events: EventEnvelope[]) => void;

/** Optional metrics hook, set with `observe`; must be cheap and must not throw. */
export interface CommittedObserver {
  stored(events: readonly EventEnvelope[]): void;
}

/**
 * The events module's one way out: every event, from the group-commit publisher and from
 * domain transactions alike, is handed here once its commit succeeded, and nothing else
 * is. Delivery (the realtime module's dispatcher, the cross-node relay) subscribes in its
 * constructor. Per stream, events usually arrive in seq order; two paths committing the
 * same stream can hand theirs over in the other order, which the dispatcher absorbs (it
 * holds the early one and reads the gap from the store, complete by then).
 */
export class CommittedEvents {
  private readonly logger = new Logger(CommittedEvents.name);
  private readonly listeners: CommittedListener[] = [];
  private observer: CommittedObserver | undefined;

  subscribe(listener: CommittedListener): void {
    this.listeners.push(listener);
  }

  observe(observer: CommittedObserver | undefined): void {
    this.observer = observer;
  }

  /** Called by the publisher and the transactions after commit; a failing listener is logged, not thrown. */
  emit(events: EventEnvelope[]): void {
    if (events.length === 0) return;
    this.observer?.stored(events);
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        this.logger.error(error instanceof Error ? error : String(error));
      }
    }
  }
}
