import type { StreamDispatcher, StreamState } from '../../websocket/delivery/stream-dispatcher.service';
import { streamRoom } from '../../websocket/delivery/stream-room.util';
import type { AppSocket } from '../../websocket/socket.types';

/**
 * A socket's delivery of one execution stream while it is out of the stream's room (a live
 * viewer is simply in the room and has no entry):
 * - `paused`: nothing is sent; it has every event up to `seq`;
 * - `catching_up`: events after `sent` are being sent from the store, then it rejoins;
 * - `skipping`: its outgoing buffer passed the limit; events from `fromSeq` on are skipped
 *   until it drains, then it is told the range (`from`: the output bytes before it).
 */
export type Viewer =
  | { mode: 'paused'; seq: number }
  | { mode: 'catching_up'; sent: number }
  | { mode: 'skipping'; fromSeq: number; from: number | undefined };

/**
 * The viewers out of their room, each holding one interest in its stream's dispatcher state
 * so the node keeps tracking the stream (its head) while nobody is in the room. Whoever
 * removes an entry gives the interest back; replacing an entry hands it over.
 */
export class ViewerRegistry {
  private readonly bySocket = new Map<AppSocket, Map<string, Viewer>>();

  constructor(private readonly dispatcher: StreamDispatcher) {}

  get(socket: AppSocket, stream: string): Viewer | undefined {
    return this.bySocket.get(socket)?.get(stream);
  }

  /** Every viewer out of its room, for the periodic checks. */
  *entries(): Generator<[AppSocket, string, Viewer]> {
    for (const [socket, viewers] of this.bySocket) for (const [stream, viewer] of viewers) yield [socket, stream, viewer];
  }

  /**
   * Takes a live socket out of the stream's room and records `viewer` for it. Synchronous,
   * so the caller reads `state.head` in the same tick: the socket has exactly the events up to
   * it. Undefined when this node does not track the stream (the socket is not in its room).
   */
  detach(socket: AppSocket, stream: string, viewer: (state: StreamState) => Viewer): StreamState | undefined {
    const state = this.dispatcher.state(stream);
    if (!state) return undefined;
    // The stream is tracked, so `acquire` takes the interest before it returns (no await inside).
    this.dispatcher.acquire(stream).catch(() => undefined);
    void socket.leave(streamRoom(stream));
    this.put(socket, stream, viewer(state));
    return state;
  }

  /** Replaces the entry (its interest moves to the new one). */
  replace(socket: AppSocket, stream: string, viewer: Viewer): void {
    this.put(socket, stream, viewer);
  }

  /** Forgets the viewer and gives its interest back; with `join`, the socket goes live in the room first. */
  finish(socket: AppSocket, stream: string, join: boolean): void {
    const viewers = this.bySocket.get(socket);
    if (!viewers?.delete(stream)) return;
    if (viewers.size === 0) this.bySocket.delete(socket);
    const room = streamRoom(stream);
    if (join) void socket.join(room);
    this.dispatcher.release(stream, !(socket.nsp.adapter.rooms.get(room)?.size ?? 0));
  }

  /** A socket went away: forget all its viewers. */
  forget(socket: AppSocket): void {
    for (const stream of [...(this.bySocket.get(socket)?.keys() ?? [])]) this.finish(socket, stream, false);
  }

  private put(socket: AppSocket, stream: string, viewer: Viewer): void {
    let viewers = this.bySocket.get(socket);
    if (!viewers) this.bySocket.set(socket, (viewers = new Map<string, Viewer>()));
    viewers.set(stream, viewer);
  }
}
