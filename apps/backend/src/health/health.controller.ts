import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReadinessService, type ReadinessReport } from './readiness.service';

/** `/health/live`: the process answers. `/health/ready`: it can serve (503 otherwise). */
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
    return { status: report.ready ? 'ready' : 'not_ready', ...report };
  }
}
