import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppModuleExtras } from './app.module';
import type { AppRuntime } from './app.runtime';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { requestBounds } from './common/request-bounds.middleware';
import { serveDashboard } from './dashboard/dashboard-static.util';
import { httpMetrics } from './monitoring/http-metrics.middleware';
import { WebsocketMetricsService } from './monitoring/websocket-metrics.service';
import { AppIoAdapter } from './websocket/socket-io.adapter';

/**
 * Builds the Nest application on an opened runtime; used by `main.ts`, tests and benchmarks.
 * `extras.imports` adds the caller's own modules (their providers can inject every event
 * service).
 */
export async function createApp(runtime: AppRuntime, extras: AppModuleExtras = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(runtime, extras), {
    logger: runtime.logger,
    bodyParser: false,
  });
  configureApp(app, runtime);
  return app;
}

/**
 * What the backend needs of the Nest application it runs in, before `init()` or `listen()`:
 * body limits, CORS, the error filter, write bounds, the dashboard, and the Socket.IO adapter
 * (transports, Origin, sizes, and the Redis adapter that joins the nodes). A host that
 * creates its own application around `AppModule.register(runtime)` calls this on it; the
 * gateway refuses to start on any other adapter.
 */
export function configureApp(app: INestApplication, runtime: AppRuntime): void {
  const { config } = runtime;
  if (!isExpress(app)) throw new Error('configureApp needs the Express platform (@nestjs/platform-express)');
  // First, so that requests refused by the bounds or the body parser are timed too.
  if (config.monitoring.metricsEnabled) app.use(httpMetrics(app.get(WebsocketMetricsService)));
  app.useBodyParser('json', { limit: '256kb' });
  app.enableCors({ origin: config.allowedOrigins.includes('*') ? true : config.allowedOrigins, credentials: true });
  app.useGlobalFilters(new ApiExceptionFilter());
  app.use(
    requestBounds({
      timeoutMs: config.writes.timeoutMs,
      maxConcurrent: config.writes.maxConcurrent,
      maxQueued: config.writes.maxQueued,
    }),
  );
  serveDashboard(app); // the built page at `/`, when apps/dashboard/dist exists
  app.useWebSocketAdapter(
    new AppIoAdapter(app, {
      allowedOrigins: config.allowedOrigins,
      transports: config.connections.transports,
      pingIntervalMs: config.connections.pingIntervalMs,
      pingTimeoutMs: config.connections.pingTimeoutMs,
      // The engine's hard cap sits above the message limit, so an oversized message gets a
      // `message_too_large` answer instead of a silent transport close.
      maxHttpBufferSize: config.limits.maxMessageBytes * 4,
      ...(runtime.redis ? { redis: { pub: runtime.redis.pub, sub: runtime.redis.sub, key: config.redisKeyPrefix } } : {}),
    }),
  );
}

const isExpress = (app: INestApplication): app is NestExpressApplication =>
  typeof (app as Partial<NestExpressApplication>).useBodyParser === 'function';
