import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { isUserId } from '@taskdash/contract';
import { z } from 'zod';
import { APP_CONFIG } from '../app.constants';
import { ROLES } from '../auth/principal.types';
import { signToken } from '../auth/token-signer';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import type { AppConfig } from '../config/app-config';

const DevTokenSchema = z.strictObject({
  sub: z.string().refine(isUserId, 'must be 1-128 of A-Z a-z 0-9 . _ @ | + -'),
  /** @default user */
  role: z.enum(ROLES).default('user'),
  /** Lifetime in seconds. @default 3600 */
  ttlSec: z.number().int().min(60).max(86_400).default(3600),
});
type DevTokenBody = z.infer<typeof DevTokenSchema>;

/**
 * Development only (never registered when NODE_ENV=production): mints a token for any user
 * and role, for the dashboard's "mint a dev token" button. Whoever reaches the port gets
 * any role, which is what development with the built-in secret allows anyway.
 */
@Controller('dev')
export class DevTokenController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Lets the dashboard know it may offer the button. */
  @Get()
  info(): { devTokens: true } {
    return { devTokens: true };
  }

  @Post('token')
  @HttpCode(200)
  mint(@Body(new ZodValidationPipe(DevTokenSchema)) body: DevTokenBody): { token: string; expiresAt: string } {
    const token = signToken(this.config.jwt, { sub: body.sub, role: body.role, ttlSec: body.ttlSec });
    return { token, expiresAt: new Date(Date.now() + body.ttlSec * 1000).toISOString() };
  }
}
