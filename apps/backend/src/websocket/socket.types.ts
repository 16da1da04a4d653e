import type { ClientToServerEvents, EventEnvelope, ServerToClientEvents } from '@taskdash/contract';
import type { Namespace, Socket } from 'socket.io';
import type { Principal } from '../auth/principal.types';

/** Messages between backend nodes, carried by the Socket.IO adapter (`serverSideEmit`). */
export interface InterServerEvents {
  'node:events': (events: EventEnvelope[]) => void;
}

/** Per-socket state. Everything here goes away with the socket. */
export interface SocketData {
  principal: Principal;
  /** Streams this socket is subscribed to (or being subscribed to). */
  subscriptions: Set<string>;
  /** Serialises this socket's subscribe/unsubscribe requests. */
  queue: Promise<void>;
}

export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
