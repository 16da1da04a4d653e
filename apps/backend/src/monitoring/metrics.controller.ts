import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { ApiException } from '../common/api.exception';
import { QueueDepthRegistry } from './health/queue-depth.registry';
import { METRICS_REGISTRY } from './metrics.constants';
import { MONITORING_OPTIONS } from './monitoring.module-definition';
import type { MonitoringOptions } from './monitoring-options.types';

const QUEUE_EXPORT_TIMEOUT_MS = 1000;

function bearerMatches(header: string | undefined, token: string): boolean {
  const [scheme, given] = (header ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  // Constant time, so the token cannot be guessed byte by byte from response times.
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /metrics` in the Prometheus text format. Not behind user authentication (Prometheus
 * has no user token); when `METRICS_TOKEN` is set, the scraper sends it as a bearer token.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringOptions,
    private readonly queues: QueueDepthRegistry,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    if (!this.options.metricsEnabled)
      throw new ApiException(ErrorCode.NotFound, 'metrics are disabled (METRICS_ENABLED=off)', 404);
    const token = this.options.metricsToken;
    if (token !== undefined && !bearerMatches(authorization, token)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new ApiException(ErrorCode.TokenInvalid, 'send Authorization: Bearer <METRICS_TOKEN>', 401);
    }
    response.setHeader('Content-Type', this.registry.contentType);
    // The queues' own export (BullMQ's job counts by state, completed and failed totals),
    // read from Redis at scrape time; our metrics never wait for more than a second of it.
    const [ours, queues] = await Promise.all([this.registry.metrics(), this.queues.prometheus(QUEUE_EXPORT_TIMEOUT_MS)]);
    response.send(ours + queues);
  }
}
