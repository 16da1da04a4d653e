import type { ClientToServerEvents, EventEnvelope, ServerToClientEvents } from '@taskdash/contract';
import type { Namespace, Socket } from 'socket.io';
import type { Principal } from '../auth/principal.types';

/** Messages between backend nodes, carried by the Socket.IO adapter (`serverSideEmit`). */
export interface InterServerEvents {
  'node:events': (events: EventEnvelope[]) => void;
  'node:access': (change: AccessChange) => void;
}

/** A permission change that every node applies to its own sockets. `at`: when it happened (ms). */
export type AccessChange =
  /** `userId` lost these streams (removed from a task). */
  | { kind: 'streams'; userId: string; streams: string[]; at: number }
  /** Nobody may see these streams any more (task deleted). */
  | { kind: 'streams-all'; streams: string[]; at: number }
  /** The user's role changed: re-check every subscription. */
  | { kind: 'user'; userId: string; at: number }
  /** Close the user's sockets (all, or those using `jti`) with this reason. */
  | { kind: 'disconnect'; userId: string; jti?: string; code: 'user_disabled' | 'token_revoked'; at: number };

/** Per-socket state. Everything here goes away with the socket. */
export interface SocketData {
  principal: Principal;
  /** Streams this socket is subscribed to (or being subscribed to). */
  subscriptions: Set<string>;
  /** Serialises this socket's subscribe/unsubscribe requests. */
  queue: Promise<void>;
  /** Why the server closed this socket, when it did (see `disconnectWithReason`). */
  disconnectCode?: string;
  /** The one token timer: first the expiry warning, then the disconnect. */
  timers: { expiry?: NodeJS.Timeout };
}

/** A room every socket of a user is in, whatever it subscribed to. */
export const userRoom = (userId: string): string => `u:${userId}`;

export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
