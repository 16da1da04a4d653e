import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import { z } from 'zod';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { HttpAuthGuard } from '../../auth/http-auth.guard';
import type { Principal } from '../../auth/principal.types';
import { ApiException } from '../../common/api.exception';
import { requireOperator } from '../../common/require-operator.util';
import { ZodValidationPipe } from '../../common/zod-validation.pipe';
import { AlertEngine } from './alert-engine.service';
import { AlertStore, type AlertRecord } from './alert.store';

const FingerprintSchema = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 hex digits');
const ListSchema = z.object({
  /** `true`: include open alerts that were acknowledged already. */
  acknowledged: z.enum(['true', 'false']).default('false'),
});
const fingerprintPipe = new ZodValidationPipe(FingerprintSchema);
// eslint-disable-next-line no-useless-assignment -- used by a parameter decorator, which the rule misses in a class's last method
const listPipe = new ZodValidationPipe(ListSchema);

const OPERATORS_ONLY = 'only operators and admins see alerts';

/**
 * Alerts for the dashboard. On connect the dashboard loads `GET /alerts` (open alerts nobody
 * acknowledged) and then follows the `system` stream live; acknowledging stops the repeats
 * for every operator and is announced as `system.alert_acknowledged`.
 */
@Controller('alerts')
@UseGuards(HttpAuthGuard)
export class AlertsController {
  constructor(
    private readonly store: AlertStore,
    private readonly engine: AlertEngine,
  ) {}

  @Post(':fingerprint/ack')
  @HttpCode(200)
  async acknowledge(
    @CurrentPrincipal() principal: Principal,
    @Param('fingerprint', fingerprintPipe) fingerprint: string,
  ): Promise<{ alert: AlertRecord; changed: boolean }> {
    requireOperator(principal, OPERATORS_ONLY);
    const result = await this.engine.acknowledge(fingerprint, principal.userId);
    if (!result.found) throw new ApiException(ErrorCode.NotFound, 'no open alert with this fingerprint', 404);
    return { alert: result.alert, changed: result.changed };
  }

  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(listPipe) query: z.infer<typeof ListSchema>,
  ): Promise<{ alerts: AlertRecord[] }> {
    requireOperator(principal, OPERATORS_ONLY);
    return { alerts: await this.store.listOpen(query.acknowledged === 'true') };
  }
}
