import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';

export interface AppIoAdapterOptions {
  allowedOrigins: string[];
  /** @default ['websocket'] (long-polling needs sticky sessions across nodes) */
  transports: Array<'websocket' | 'polling'>;
  /** Largest client message in bytes. @default 65536 */
  maxHttpBufferSize: number;
  /** Heartbeat: a peer that misses a pong for `pingInterval + pingTimeout` is dropped. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Pub/sub connections for the Redis adapter; the app owns and closes them. */
  redis?: { pub: Redis; sub: Redis; key: string };
}

/**
 * Creates the Socket.IO server with our transport, CORS and size settings, and, with
 * Redis, the Redis adapter that connects the nodes.
 */
export class AppIoAdapter extends IoAdapter {
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
      serveClient: false,
      cors: { origin: origins.includes('*') ? true : origins, credentials: true },
    }) as Server;
    if (this.options.redis) {
      const { pub, sub, key } = this.options.redis;
      server.adapter(createAdapter(pub, sub, { key: `${key}:socket.io` }));
    }
    return server;
  }
}
