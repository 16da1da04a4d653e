import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { RedisClient } from '../redis/redis-client';
import type { Server, ServerOptions } from 'socket.io';

export interface AppIoAdapterOptions {
  allowedOrigins: string[];
  /** @default ['polling', 'websocket'] (long-polling needs sticky sessions across nodes) */
  transports: Array<'websocket' | 'polling'>;
  /** Largest client message in bytes. @default 65536 */
  maxHttpBufferSize: number;
  /** Heartbeat: a peer that misses a pong for `pingInterval + pingTimeout` is dropped. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Pub/sub connections for the Redis adapter; the app owns and closes them. */
  redis?: { pub: RedisClient; sub: RedisClient; key: string };
}

/**
 * Creates the Socket.IO server with our transport, CORS and size settings, and, with
 * Redis, the Redis adapter that connects the nodes.
 *
 * It also binds nothing per socket that the gateway does not use. Nest's IoAdapter gives
 * every socket an RxJS chain (`fromEvent(socket, 'disconnect').pipe(share(), first())`,
 * kept in a WeakMap) even when the gateway has no `@SubscribeMessage` handlers, and a
 * `disconnect` listener closure for `handleDisconnect`: together ~1.7 KB per idle
 * connection. Our gateway has neither (messages go through one `socket.use` middleware,
 * per-socket cleanup through ConnectionManagerService's shared disconnect listener), so a
 * gateway's `handleDisconnect` is NOT called with this adapter; `@SubscribeMessage`
 * handlers, if a gateway ever has some, are bound as Nest binds them.
 */
export class AppIoAdapter extends IoAdapter {
  private static readonly servers = new WeakSet<Server>();

  /** Whether this adapter made the server (the gateway refuses to run on another one). */
  static made(server: Server): boolean {
    return AppIoAdapter.servers.has(server);
  }

  constructor(
    app: INestApplicationContext,
    private readonly options: AppIoAdapterOptions,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const origins = this.options.allowedOrigins;
    const server = super.createIOServer(port, {
      ...options,
      transports: this.options.transports,
      maxHttpBufferSize: this.options.maxHttpBufferSize,
      pingInterval: this.options.pingIntervalMs,
      pingTimeout: this.options.pingTimeoutMs,
      // A connection that joined no namespace by then (an unknown one was named) is closed.
      connectTimeout: 10_000,
      serveClient: false,
      cors: { origin: origins.includes('*') ? true : origins, credentials: true },
    }) as Server;
    if (this.options.redis) {
      const { pub, sub, key } = this.options.redis;
      server.adapter(createAdapter(pub, sub, { key: `${key}:socket.io` }));
    }
    AppIoAdapter.servers.add(server);
    return server;
  }

  override bindMessageHandlers(...[socket, handlers, transform]: Parameters<IoAdapter['bindMessageHandlers']>): void {
    if (handlers.length > 0) super.bindMessageHandlers(socket, handlers, transform);
  }

  /** Not bound: see the class comment (ConnectionManagerService.onDisconnect instead). */
  override bindClientDisconnect(_client: unknown, _callback: () => void): void {}
}
