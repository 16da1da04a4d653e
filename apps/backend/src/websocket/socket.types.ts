import type { ClientToServerEvents, EventEnvelope, ServerToClientEvents } from '@taskdash/contract';
import type { Namespace, Socket } from 'socket.io';
import type { Principal } from '../auth/principal.types';
import type { MessageBudget } from './limits/message-guard';

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

/**
 * Per-socket state. Everything here goes away with the socket. A node holds thousands of
 * idle sockets, so an idle one holds little more than the first three; the rest is made
 * when first needed.
 */
export interface SocketData {
  principal: Principal;
  /** Streams this socket is subscribed to (or being subscribed to). */
  subscriptions: Set<string>;
  /** Slot of the next token check in TokenLifecycleService's wheel (unset when none). */
  tokenCheck?: number;
  /** Serialises this socket's subscribe/unsubscribe requests; unset when none is pending. */
  queue?: Promise<void>;
  /** The message rate limit's state, from the first message on (see MessageGuard). */
  budget?: MessageBudget;
  /** Why the server closed this socket, when it did (see `disconnectWithReason`). */
  disconnectCode?: string;
}

export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
