import { Logger } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import { disconnectWithReason } from '../connection/disconnect.util';
import { streamRoom } from '../delivery/stream-room.util';
import type { UserSockets } from '../connection/user-sockets';
import type { AccessChange, AppNamespace, AppSocket } from '../socket.types';
import type { SubscriptionService } from '../subscriptions/subscription.service';
import type { UserChannelsService } from './user-channels.service';

/** Resolves once everything this node published to Redis so far has reached Redis. */
export type PublishBarrier = () => Promise<unknown>;

/** Told of every change to a user's session state, before any socket is acted on. */
export type SessionChanged = (userId: string, jti?: string) => void;

const REVOKED = { code: ErrorCode.AccessRevoked, message: 'you no longer have access to this stream' } as const;

/**
 * Enforces permission changes on live sockets, on every node. The change is applied here
 * at once, then sent to the other nodes through the Socket.IO adapter and `apply` waits
 * until Redis has it: the other nodes receive it on the same subscription, and so before,
 * any event published after the caller continues. Removing a socket from a room is
 * synchronous with delivery, so no event of the stream reaches it after `access_revoked`.
 */
export class AccessRevocationService {
  private readonly logger = new Logger(AccessRevocationService.name);
  private namespace: AppNamespace | undefined;

  constructor(
    private readonly subscriptions: SubscriptionService,
    private readonly channels: UserChannelsService,
    private readonly users: UserSockets,
    private readonly barrier: PublishBarrier | undefined,
    /** Observes how long a change took to reach sockets, in ms (for metrics). */
    private readonly onApplied?: (change: AccessChange, latencyMs: number) => void,
    /** The session mirror (auth/session-mirror.ts): the user's next checks read the database. */
    private readonly sessionChanged?: SessionChanged,
  ) {}

  attach(namespace: AppNamespace, multiNode: boolean): void {
    this.namespace = namespace;
    if (multiNode) namespace.on('node:access', (change: AccessChange) => void this.applyLocal(change));
  }

  async apply(change: AccessChange): Promise<void> {
    const local = this.applyLocal(change);
    if (this.barrier && this.namespace) {
      this.namespace.serverSideEmit('node:access', change);
      await this.barrier();
    }
    await local;
  }

  /** Re-checks every subscription of one socket against current permissions. */
  async recheck(socket: AppSocket): Promise<void> {
    for (const stream of [...socket.data.subscriptions]) {
      const access = await this.channels.authorize(socket.data.principal, stream);
      if (!access.allowed && socket.data.subscriptions.has(stream)) await this.subscriptions.revoke(socket, stream, REVOKED);
    }
  }

  private async applyLocal(change: AccessChange): Promise<void> {
    // First, and in the same turn as the message arrived: a handshake checked after this
    // reads the committed change; one checked before is a live socket closed below.
    if (change.kind === 'user') this.sessionChanged?.(change.userId);
    if (change.kind === 'disconnect') this.sessionChanged?.(change.userId, change.jti);
    try {
      switch (change.kind) {
        case 'streams':
          for (const socket of this.socketsOf(change.userId)) {
            for (const stream of change.streams) {
              if (socket.data.subscriptions.has(stream)) await this.subscriptions.revoke(socket, stream, REVOKED);
            }
          }
          break;
        case 'streams-all':
          for (const stream of change.streams) {
            for (const socket of this.socketsIn(streamRoom(stream))) await this.subscriptions.revoke(socket, stream, REVOKED);
            // Sockets still replaying are not in the room yet; they stop at their next check.
          }
          break;
        case 'user':
          await Promise.all(this.socketsOf(change.userId).map((socket) => this.recheckWithFreshRole(socket)));
          break;
        case 'disconnect':
          for (const socket of this.socketsOf(change.userId)) {
            if (change.jti && socket.data.principal.jti !== change.jti) continue;
            disconnectWithReason(socket, change.code, change.code === 'user_disabled' ? 'user was disabled' : 'session was revoked');
          }
          break;
      }
      this.onApplied?.(change, Date.now() - change.at);
    } catch (error) {
      this.logger.error({ msg: 'applying an access change failed', kind: change.kind, error: (error as Error).message });
    }
  }

  private async recheckWithFreshRole(socket: AppSocket): Promise<void> {
    const fresh = await this.channels.currentRole(socket.data.principal);
    socket.data.principal = { ...socket.data.principal, role: fresh };
    await this.recheck(socket);
  }

  private socketsOf(userId: string): AppSocket[] {
    return this.users.of(userId);
  }

  private socketsIn(room: string): AppSocket[] {
    const ids = this.namespace?.adapter.rooms.get(room);
    if (!ids || !this.namespace) return [];
    return [...ids].map((id) => this.namespace!.sockets.get(id)).filter((s): s is AppSocket => s !== undefined);
  }
}
