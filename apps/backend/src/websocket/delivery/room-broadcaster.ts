import type { EventEnvelope } from '@taskdash/contract';
import type { AppNamespace, AppSocket } from '../socket.types';
import { encodePacket, writePacket, type EncodedPacket } from './packet-writer.util';
import type { RoomRun } from './stream-dispatcher.service';

/** Optional metrics hook: `events` of one stream reached `sockets` local sockets. */
export type EmitObserver = (events: readonly EventEnvelope[], sockets: number) => void;

/**
 * Sends the runs that one stored batch made ready to the local sockets of their rooms, one
 * Socket.IO message per socket. Most of fan-out's CPU is the write system call made for
 * every message to every socket; a socket in the rooms of several runs (a dashboard
 * watching ten tasks, when a batch touches three of them) gets them in one `events`
 * message instead of one each, so a node under load makes fewer writes the busier it is.
 *
 * Each run is serialised once; a socket's message is the serialisations of its runs joined
 * inside one `events` array, framed once per distinct message (a lone run's message is
 * shared by its whole room), so no envelope is encoded per socket.
 */
export class RoomBroadcaster {
  /** The encoded `events` message with an empty array, split around the array's inside. */
  private readonly head: string;
  private readonly tail: string;

  constructor(
    private readonly namespace: AppNamespace,
    private readonly observe?: EmitObserver,
  ) {
    const encoded = String((namespace.server.encoder.encode({ type: 2, nsp: namespace.name, data: ['events', []] }) as unknown[])[0]);
    const inside = encoded.lastIndexOf('[]');
    this.head = encoded.slice(0, inside + 1);
    this.tail = encoded.slice(inside + 1);
  }

  emit(runs: readonly RoomRun[]): void {
    const { adapter, sockets } = this.namespace;
    const inner: string[] = [];
    const innerOf = (index: number) => (inner[index] ??= JSON.stringify(runs[index]!.events).slice(1, -1));
    const alone: EncodedPacket[] = [];
    const aloneOf = (index: number) => (alone[index] ??= encodePacket(this.head + innerOf(index) + this.tail));
    if (runs.length === 1) {
      const members = adapter.rooms.get(runs[0]!.room);
      this.observe?.(runs[0]!.events, members?.size ?? 0);
      for (const id of members ?? []) {
        const socket = sockets.get(id);
        if (socket) writePacket(socket, aloneOf(0));
      }
      return;
    }
    // Which runs each socket gets, in the order of `runs` (one stream's run appears once).
    const bySocket = new Map<AppSocket, number[]>();
    runs.forEach((run, index) => {
      const members = adapter.rooms.get(run.room);
      this.observe?.(run.events, members?.size ?? 0);
      for (const id of members ?? []) {
        const socket = sockets.get(id);
        if (!socket) continue;
        const list = bySocket.get(socket);
        if (list) list.push(index);
        else bySocket.set(socket, [index]);
      }
    });
    for (const [socket, list] of bySocket) {
      writePacket(socket, list.length === 1 ? aloneOf(list[0]!) : encodePacket(this.head + list.map(innerOf).join(',') + this.tail));
    }
  }
}
