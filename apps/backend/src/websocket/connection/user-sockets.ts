import type { AppSocket } from '../socket.types';

/**
 * This node's sockets by user: the per-user connection cap counts them, and a permission
 * change finds a user's sockets here. Most users have one socket, so it is kept as the map's
 * value itself, and a Set is made only for a second one. (A room per user did the finding
 * before, at ~200 bytes per connection for its Set and name.)
 */
export class UserSockets {
  private readonly byUser = new Map<string, AppSocket | Set<AppSocket>>();

  /** Users with at least one socket. */
  get size(): number {
    return this.byUser.size;
  }

  count(userId: string): number {
    const held = this.byUser.get(userId);
    return held === undefined ? 0 : held instanceof Set ? held.size : 1;
  }

  of(userId: string): AppSocket[] {
    const held = this.byUser.get(userId);
    return held === undefined ? [] : held instanceof Set ? [...held] : [held];
  }

  add(socket: AppSocket): void {
    const { userId } = socket.data.principal;
    const held = this.byUser.get(userId);
    if (held === undefined) this.byUser.set(userId, socket);
    else if (held instanceof Set) held.add(socket);
    else if (held !== socket) this.byUser.set(userId, new Set([held, socket]));
  }

  remove(socket: AppSocket): void {
    const { userId } = socket.data.principal;
    const held = this.byUser.get(userId);
    if (held === socket) this.byUser.delete(userId);
    else if (held instanceof Set && held.delete(socket)) {
      if (held.size === 1) this.byUser.set(userId, held.values().next().value!);
      else if (held.size === 0) this.byUser.delete(userId);
    }
  }
}
