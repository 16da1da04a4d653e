import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReadinessService, type ReadinessReport } from './readiness.service';

/**
 * `/health/live`: the process answers. `/health/ready`: it can serve (503 otherwise); while
 * the node drains, 503 with status `draining`, so that an operator reading it knows the
 * node is leaving on purpose, not failing.
 */
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<ReadinessReport & { status: string }> {
    const report = await this.readiness.check();
    response.status(report.ready ? 200 : 503);
    return { status: report.ready ? 'ready' : this.readiness.isDraining ? 'draining' : 'not_ready', ...report };
  }
}
