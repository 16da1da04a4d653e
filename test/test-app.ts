import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { ClientToServerEvents, ServerToClientEvents } from '@taskdash/contract';
import { EVENTS_NAMESPACE } from '@taskdash/contract';
import { io, type Socket, type SocketOptions, type ManagerOptions } from 'socket.io-client';
import type { Server as HttpServer } from 'node:http';
import { Writable } from 'node:stream';
import { createApp } from '../apps/backend/src/app.factory';
import type { AppModuleExtras } from '../apps/backend/src/app.module';
import { closeRuntime, openRuntime, type AppRuntime, type WebsocketOverrides } from '../apps/backend/src/app.runtime';
import type { Role } from '../apps/backend/src/auth/principal.types';
import { signToken } from '../apps/backend/src/auth/token-signer';
import { loadConfig } from '../apps/backend/src/config/app-config';
import { AppLogger } from '../apps/backend/src/logging/app-logger';
import { createTestDatabase, type TestDatabase } from './test-database';
import { TEST_JWT_SECRET, redisEnv, type TestRedis } from './test-env';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestApp {
  app: INestApplication;
  runtime: AppRuntime;
  url: string;
  database: TestDatabase;
  /** Everything the app logged, one JSON line per entry. */
  logs: string[];
  token(sub: string, role?: Role, ttlSec?: number): string;
  /** `fetch` against the app with a bearer token for `sub`. */
  http(method: string, path: string, sub?: string, body?: unknown, role?: Role): Promise<{ status: number; body: unknown }>;
  connect(token: string | undefined, options?: Partial<ManagerOptions & SocketOptions>): TestSocket;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** `true` is standalone Redis; `cluster` the run's Redis Cluster. */
  redis?: boolean | TestRedis;
  env?: Record<string, string>;
  websocket?: WebsocketOverrides;
  database?: TestDatabase;
  /** The caller's own modules, added to the app (`createApp(runtime, { imports })`). */
  imports?: AppModuleExtras['imports'];
}

/** A real backend on a random port, on its own fresh database (and Redis prefix). */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const logs: string[] = [];
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    ALLOWED_ORIGINS: 'http://allowed.example',
    REDIS_KEY_PREFIX: `t-${randomUUID().slice(0, 8)}`,
    ...(options.redis ? redisEnv(options.redis === true ? 'standalone' : options.redis) : {}),
    ...options.env,
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = new AppLogger({ level: config.log.level, format: 'json', destination: sink });
  const runtime = await openRuntime(config, logger);
  if (options.websocket) runtime.websocketOverrides = options.websocket;
  const app = await createApp(runtime, { imports: options.imports ?? [] });
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as HttpServer).address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const sockets: TestSocket[] = [];
  const token = (sub: string, role: Role = 'user', ttlSec = 3600) => signToken(config.jwt, { sub, role, ttlSec });
  return {
    app,
    runtime,
    url,
    database,
    logs,
    token,
    async http(method, path, sub, body, role) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(sub ? { authorization: `Bearer ${token(sub, role)}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    connect(socketToken, socketOptions = {}) {
      const socket = connectSocket(url, socketToken, socketOptions);
      sockets.push(socket);
      return socket;
    },
    async close() {
      sockets.forEach((socket) => socket.disconnect());
      await app.close();
      await closeRuntime(runtime);
      if (!options.database) await database.drop();
    },
  };
}

/** A raw socket.io-client socket to any backend (this process or another). */
export function connectSocket(url: string, token: string | undefined, options: Partial<ManagerOptions & SocketOptions> = {}): TestSocket {
  return io(`${url}${EVENTS_NAMESPACE}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(token !== undefined ? { auth: { token } } : {}),
    ...options,
  });
}

/** Resolves when the socket connects; rejects with the `connect_error`. */
export function connected(socket: TestSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
}

/** The `data` of the handshake rejection. */
export function rejection(socket: TestSocket): Promise<{ code: string; message: string }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected, expected a rejection')));
    socket.once('connect_error', (error: Error & { data?: { code: string; message: string } }) =>
      error.data ? resolve(error.data) : reject(error),
    );
  });
}
