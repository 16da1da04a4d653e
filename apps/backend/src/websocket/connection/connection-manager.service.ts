import { Logger } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { ConnectionLimiter } from '../limits/connection-limiter';
import type { AppNamespace, AppSocket } from '../socket.types';
import { disconnectWithReason } from './disconnect.util';
import { outgoingBytes } from './outgoing-buffer.util';

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

  constructor(
    private readonly limiter: ConnectionLimiter,
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
      users: this.limiter.sizes.users,
      // Every socket has a private room named after its id; count only shared rooms.
      rooms: rooms ? [...rooms.keys()].filter((room) => !this.namespace!.sockets.has(room)).length : 0,
      draining: this.draining,
    };
  }

  connected(socket: AppSocket): void {
    this.limiter.connected(socket.data.principal.userId);
  }

  disconnected(socket: AppSocket): void {
    this.limiter.disconnected(socket.data.principal.userId);
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
