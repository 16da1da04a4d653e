import type { EventEnvelope } from '@taskdash/contract';
import type { CommittedEvents } from '../../events/committed-events';
import type { AppNamespace } from '../socket.types';
import { RoomBroadcaster } from './room-broadcaster';
import type { StreamChannels } from './stream-channels';
import type { StreamDispatcher } from './stream-dispatcher.service';

/** Optional metrics hook, set with `observe`: `events` of one stream reached `sockets` local sockets. */
export interface FanoutObserver {
  emitted(events: readonly EventEnvelope[], sockets: number): void;
}

/** How often a node asks Redis how many nodes listen (`PUBSUB NUMSUB`), in ms. */
const PEER_CHECK_MS = 1000;

/**
 * Carries committed events to the other nodes and theirs to this node's dispatcher (which
 * takes this node's own straight from `CommittedEvents`). Each node then emits to its own
 * sockets only, in order, through its dispatcher. Two ways between nodes:
 * - interest (`channels`, EVENT_FANOUT=interest): one sharded pub/sub channel per stream;
 *   a node subscribes while its dispatcher tracks the stream, so it receives only what
 *   its sockets follow;
 * - broadcast (EVENT_FANOUT=broadcast): the Socket.IO adapter's `serverSideEmit`, one
 *   message per stored batch to every node, whatever its sockets follow.
 */
export class EventFanout {
  private namespace: AppNamespace | undefined;
  private observer: FanoutObserver | undefined;
  /**
   * Whether other nodes listen. A node alone on its Redis (one backend next to its job
   * queues, the common small set-up) would otherwise pay for publishing every stored batch
   * and reading it back from its own subscription: per byte, the dearest thing it does.
   * Assumed true until Redis says otherwise, and whenever it cannot answer.
   */
  private peers = true;
  /** Consecutive checks that found no other node. */
  private aloneReadings = 0;
  private checking = false;
  private peerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dispatcher: StreamDispatcher,
    committed: CommittedEvents,
    private readonly multiNode: boolean,
    private readonly channels?: StreamChannels,
  ) {
    // Subscribed after the dispatcher (constructed first): local sockets go first.
    committed.subscribe((events) => this.relay(events));
    if (multiNode && channels) {
      channels.onEvents((events) => dispatcher.deliver(events));
      dispatcher.setInterest({ track: (stream) => channels.subscribe(stream), untrack: (stream) => channels.unsubscribe(stream) });
    }
  }

  /** Events this node received from other nodes, either way. */
  get receivedFromPeers(): number {
    return this.channels?.received ?? this.broadcastReceived;
  }

  private broadcastReceived = 0;

  /** Binds delivery to the `/events` namespace once the gateway has it. */
  attach(namespace: AppNamespace): void {
    this.namespace = namespace;
    const broadcaster = new RoomBroadcaster(namespace, (events, sockets) => this.observer?.emitted(events, sockets));
    this.dispatcher.setEmitter((runs) => broadcaster.emit(runs));
    if (this.multiNode) {
      if (!this.channels) {
        namespace.on('node:events', (events: EventEnvelope[]) => {
          this.broadcastReceived += events.length;
          this.dispatcher.deliver(events);
        });
      }
      // A node that joins is missed for a second or two: meanwhile its dispatcher gets
      // those events from the database (its subscriptions read the head, and its head
      // check fills any gap), so it sees them late, never not at all.
      this.peerTimer = setInterval(() => void this.checkPeers(namespace), PEER_CHECK_MS);
      this.peerTimer.unref();
    }
  }

  /** Stops asking Redis for peers (shutdown). */
  stop(): void {
    clearInterval(this.peerTimer);
  }

  /** Whether stored events are sent to other nodes now. */
  get sendsToPeers(): boolean {
    return this.multiNode && this.peers;
  }

  /**
   * The count includes this node only while its own subscription is up, so a reading of
   * one can also mean "one other node, and ours is reconnecting": alone takes two such
   * readings in a row; any other answer means peers at once.
   */
  private async checkPeers(namespace: AppNamespace): Promise<void> {
    // While Redis is away the command waits in the client's queue; one is enough.
    if (this.checking) return;
    this.checking = true;
    let count: number;
    try {
      count = await namespace.adapter.serverCount();
    } catch {
      count = Infinity;
    } finally {
      this.checking = false;
    }
    this.aloneReadings = count <= 1 ? this.aloneReadings + 1 : 0;
    this.peers = this.aloneReadings < 2;
  }

  /** Installs (or with `undefined` removes) the metrics hook. */
  observe(observer: FanoutObserver | undefined): void {
    this.observer = observer;
  }

  /** The `/events` namespace once the gateway attached it (for socket counts in health samples). */
  get attachedNamespace(): AppNamespace | undefined {
    return this.namespace;
  }

  private relay(events: EventEnvelope[]): void {
    if (!this.sendsToPeers) return;
    if (this.channels) this.channels.publish(events);
    else this.namespace?.serverSideEmit('node:events', events);
  }
}
