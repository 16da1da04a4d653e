import type { EventEnvelope } from '@taskdash/contract';
import type { EventPublisher } from '../persistence/event-publisher.service';
import type { AppNamespace } from '../socket.types';
import type { StreamDispatcher } from './stream-dispatcher.service';

/**
 * Carries stored events to every node: this node's dispatcher directly, the other nodes
 * through the Socket.IO adapter (`serverSideEmit`, one message per stored batch). Each
 * node then emits to its own sockets only (`local`), in order, through its dispatcher.
 */
export class EventFanout {
  private namespace: AppNamespace | undefined;

  constructor(
    private readonly dispatcher: StreamDispatcher,
    private readonly multiNode: boolean,
  ) {}

  attach(namespace: AppNamespace, publisher: EventPublisher): void {
    this.namespace = namespace;
    this.dispatcher.setEmitter((room, events) => namespace.local.to(room).emit('events', events));
    if (this.multiNode) {
      namespace.on('node:events', (events: EventEnvelope[]) => this.dispatcher.deliver(events));
    }
    publisher.onStored((events) => this.fanout(events));
  }

  private fanout(events: EventEnvelope[]): void {
    this.dispatcher.deliver(events);
    if (this.multiNode) this.namespace?.serverSideEmit('node:events', events);
  }
}
