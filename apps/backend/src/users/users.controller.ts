import { Body, Controller, Delete, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard } from '../auth/http-auth.guard';
import { isAdmin, type Principal, type Role } from '../auth/principal.types';
import { ApiException } from '../common/api.exception';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { RevokeTokenSchema, SetRoleSchema, UserIdParamSchema } from './users.schemas';
import { UsersService } from './users.service';

const userId = new ZodValidationPipe(UserIdParamSchema);

function requireAdmin(principal: Principal): void {
  if (!isAdmin(principal)) throw new ApiException(ErrorCode.Forbidden, 'admins only', 403);
}

/** Roles, disabling, logout and token revocation; all take effect on live sockets too. */
@Controller()
@UseGuards(HttpAuthGuard)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Put('users/:id/role')
  @HttpCode(204)
  async setRole(
    @CurrentPrincipal() principal: Principal,
    @Param('id', userId) id: string,
    @Body(new ZodValidationPipe(SetRoleSchema)) body: { role: Role },
  ): Promise<void> {
    requireAdmin(principal);
    await this.users.setRole(id, body.role, principal.userId);
  }

  /** Clears an admin-set role: the user's tokens decide their role again. */
  @Delete('users/:id/role')
  @HttpCode(204)
  async clearRole(@CurrentPrincipal() principal: Principal, @Param('id', userId) id: string): Promise<void> {
    requireAdmin(principal);
    await this.users.clearRole(id, principal.userId);
  }

  @Post('users/:id/disable')
  @HttpCode(204)
  async disable(@CurrentPrincipal() principal: Principal, @Param('id', userId) id: string): Promise<void> {
    requireAdmin(principal);
    await this.users.setDisabled(id, true);
  }

  @Post('users/:id/enable')
  @HttpCode(204)
  async enable(@CurrentPrincipal() principal: Principal, @Param('id', userId) id: string): Promise<void> {
    requireAdmin(principal);
    await this.users.setDisabled(id, false);
  }

  /** Log a user out everywhere (admins, or the user themself). */
  @Post('users/:id/sessions/revoke')
  @HttpCode(204)
  async revokeSessions(@CurrentPrincipal() principal: Principal, @Param('id', userId) id: string): Promise<void> {
    if (principal.userId !== id) requireAdmin(principal);
    await this.users.revokeSessions(id);
  }

  /** Revoke one token by its `jti` (admins). */
  @Post('tokens/revoke')
  @HttpCode(204)
  async revokeToken(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodValidationPipe(RevokeTokenSchema)) body: { userId: string; jti: string; expiresAt?: string },
  ): Promise<void> {
    requireAdmin(principal);
    await this.users.revokeToken(body.userId, body.jti, body.expiresAt ? new Date(body.expiresAt) : undefined);
  }

  /** Log out this token (its `jti`). */
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (!principal.jti) throw new ApiException(ErrorCode.InvalidRequest, 'token has no jti; use users/:id/sessions/revoke', 400);
    await this.users.revokeToken(principal.userId, principal.jti, new Date(principal.expiresAt));
  }
}
