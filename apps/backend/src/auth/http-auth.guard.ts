import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { Request } from 'express';
import { AuthException } from './auth.exception';
import { JwtVerifierService } from './jwt-verifier.service';
import { SessionStateService } from './session-state.service';
import type { Principal } from './principal.types';

export type AuthenticatedRequest = Request & { principal: Principal };

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** HTTP counterpart of the socket middleware: `Authorization: Bearer <jwt>`, same checks. */
@Injectable()
export class HttpAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: JwtVerifierService,
    private readonly sessions: SessionStateService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw new AuthException(ErrorCode.TokenMissing, 'missing Authorization: Bearer header');
    // RFC 6750: the scheme, one space, the token, nothing else ("Bearer <jwt> extra" is refused).
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new AuthException(ErrorCode.TokenInvalid, 'Authorization header must be "Bearer <token>"');
    request.principal = await this.sessions.resolve(await this.verifier.verify(token));
    return true;
  }
}
