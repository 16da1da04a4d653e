import { Logger } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { AppNamespace, AppSocket } from '../socket.types';
import { disconnectWithReason } from './disconnect.util';
import { outgoingBytes } from './outgoing-buffer.util';
import type { UserSockets } from './user-sockets';

/** Runs when a connected socket goes away, with Socket.IO's reason. */
export type DisconnectHook = (socket: AppSocket, reason: string) => void;

export interface ConnectionOptions {
  /** Outgoing bytes a socket may have queued before it is closed as `slow_consumer`. @default 1048576 */
  maxOutgoingBytes: number;
  /** How often every socket's queue is measured, in ms. @default 250 */
  slowConsumerCheckMs: number;
  /** Over how long a drain spreads its disconnects, in ms. @default 5000 */
  drainSpreadMs: number;
  /** Clients are told to wait up to this long (random) before reconnecting, in ms. @default 3000 */
  reconnectJitterMs: number;
}

export interface ConnectionStats {
  sockets: number;
  users: number;
  rooms: number;
  draining: boolean;
}

/**
 * This node's connections: counts, the slow-consumer sweep and the graceful drain.
 * A socket whose unsent output passes the limit is closed with `slow_consumer` (the client
 * reconnects and resumes from its positions), so one slow client can never grow server
 * memory without bound. A drain refuses new sockets and closes the existing ones spread
 * over a few seconds, each told to reconnect elsewhere after a random delay.
 */
export class ConnectionManagerService {
  private readonly logger = new Logger(ConnectionManagerService.name);
  private namespace: AppNamespace | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private readonly disconnectHooks: DisconnectHook[] = [];
  /**
   * The one `disconnect` listener of every socket. Node's EventEmitter calls it with `this`
   * set to the socket, so a single function serves them all: no closure, context or
   * listener array per connection. A listener per interested party (metrics and viewer
   * control with `once` wrappers, Nest's adapter) cost ~0.8 KB per idle socket.
   */
  private readonly onSocketDisconnect = sharedListener((socket: AppSocket, reason: string) => this.disconnected(socket, reason));

  constructor(
    private readonly users: UserSockets,
    private readonly options: ConnectionOptions,
    /** Observes each slow-consumer disconnect (for metrics). */
    private readonly onSlowConsumer?: (bytes: number) => void,
  ) {}

  attach(namespace: AppNamespace): void {
    this.namespace = namespace;
    this.sweepTimer = setInterval(() => this.sweep(), this.options.slowConsumerCheckMs);
    this.sweepTimer.unref();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  stats(): ConnectionStats {
    const rooms = this.namespace?.adapter.rooms;
    return {
      sockets: this.namespace?.sockets.size ?? 0,
      users: this.users.size,
      // Every socket has a private room named after its id; count only shared rooms.
      rooms: rooms ? [...rooms.keys()].filter((room) => !this.namespace!.sockets.has(room)).length : 0,
      draining: this.draining,
    };
  }

  /** Runs `hook` for every connected socket that goes away (register at start-up). */
  onDisconnect(hook: DisconnectHook): void {
    this.disconnectHooks.push(hook);
  }

  /** Tracks an admitted socket until it goes away; then the disconnect hooks run, in order. */
  connected(socket: AppSocket): void {
    this.users.add(socket);
    socket.on('disconnect', this.onSocketDisconnect);
  }

  private disconnected(socket: AppSocket, reason: string): void {
    this.users.remove(socket);
    for (const hook of this.disconnectHooks) {
      try {
        hook(socket, reason);
      } catch (error) {
        this.logger.error({ msg: 'disconnect hook failed', socket: socket.id, error: (error as Error).message });
      }
    }
  }

  /** Measures every socket now; closes those over the limit. */
  sweep(): void {
    for (const socket of this.namespace?.sockets.values() ?? []) {
      const bytes = outgoingBytes(socket);
      if (bytes <= this.options.maxOutgoingBytes) continue;
      this.logger.warn({ msg: 'closing slow consumer', socket: socket.id, user: socket.data.principal.userId, bytes });
      this.onSlowConsumer?.(bytes);
      disconnectWithReason(socket, ErrorCode.SlowConsumer, 'too far behind; reconnect and resume from your positions');
      // The queue will not drain by itself: drop the transport so the memory goes now.
      socket.conn.close();
    }
  }

  /** Stops taking sockets and closes the existing ones, spread over `drainSpreadMs`. */
  async drain(): Promise<void> {
    this.draining = true;
    clearInterval(this.sweepTimer);
    const sockets = [...(this.namespace?.sockets.values() ?? [])];
    if (sockets.length === 0) return;
    const step = this.options.drainSpreadMs / sockets.length;
    this.logger.log({ msg: 'draining sockets', sockets: sockets.length, overMs: this.options.drainSpreadMs });
    for (let i = 0; i < sockets.length; i++) {
      const socket = sockets[i]!;
      const retryAfterMs = Math.round(Math.random() * this.options.reconnectJitterMs);
      disconnectWithReason(socket, ErrorCode.ServerDraining, 'this node is shutting down; reconnect to another', retryAfterMs);
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, step * 50));
    }
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }
}

/** A listener for which the emitter is `this`: one function for every socket instead of a closure each. */
function sharedListener(handle: (socket: AppSocket, reason: string) => void): (this: AppSocket, reason: string) => void {
  return function (this: AppSocket, reason: string) {
    handle(this, reason);
  };
}
