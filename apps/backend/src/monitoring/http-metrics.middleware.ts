import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { WebsocketMetricsService } from './websocket-metrics.service';

/**
 * Label for requests that matched no route: static dashboard files, 404s, and writes the
 * request bounds refused before routing. One value, so that paths never become labels.
 */
export const UNROUTED = 'unrouted';

/**
 * Times every HTTP request from arrival to the last byte (`taskdash_http_request_duration_seconds`).
 * The route label is the matched route's template, read when the response finishes, once the
 * router has set `req.route`; installed before the routes so that it sees them all.
 */
export function httpMetrics(metrics: WebsocketMetricsService): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const route = (request.route as { path?: unknown } | undefined)?.path;
      const template = typeof route === 'string' ? `${request.baseUrl}${route}` : UNROUTED;
      metrics.httpRequest(
        request.method,
        template,
        response.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  };
}
