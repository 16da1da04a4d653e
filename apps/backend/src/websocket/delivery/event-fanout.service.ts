import type { EventEnvelope } from '@taskdash/contract';
import type { EventPublisher } from '../persistence/event-publisher.service';
import type { AppNamespace } from '../socket.types';
import type { StreamDispatcher } from './stream-dispatcher.service';

/** Optional metrics hook, set with `observe`: `events` of one stream reached `sockets` local sockets. */
export interface FanoutObserver {
  emitted(events: readonly EventEnvelope[], sockets: number): void;
}

/**
 * Carries stored events to every node: this node's dispatcher directly, the other nodes
 * through the Socket.IO adapter (`serverSideEmit`, one message per stored batch). Each
 * node then emits to its own sockets only (`local`), in order, through its dispatcher.
 */
export class EventFanout {
  private namespace: AppNamespace | undefined;
  private observer: FanoutObserver | undefined;

  constructor(
    private readonly dispatcher: StreamDispatcher,
    private readonly multiNode: boolean,
  ) {}

  attach(namespace: AppNamespace, publisher: EventPublisher): void {
    this.namespace = namespace;
    this.dispatcher.setEmitter((room, events) => {
      namespace.local.to(room).emit('events', events);
      this.observer?.emitted(events, namespace.adapter.rooms.get(room)?.size ?? 0);
    });
    if (this.multiNode) {
      namespace.on('node:events', (events: EventEnvelope[]) => this.dispatcher.deliver(events));
    }
    publisher.onStored((events) => this.fanout(events));
  }

  /** Installs (or with `undefined` removes) the metrics hook. */
  observe(observer: FanoutObserver | undefined): void {
    this.observer = observer;
  }

  /** The `/events` namespace once the gateway attached it (for socket counts in health samples). */
  get attachedNamespace(): AppNamespace | undefined {
    return this.namespace;
  }

  private fanout(events: EventEnvelope[]): void {
    this.dispatcher.deliver(events);
    if (this.multiNode) this.namespace?.serverSideEmit('node:events', events);
  }
}
