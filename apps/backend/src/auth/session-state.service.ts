import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import { PRISMA } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { AuthException } from './auth.exception';
import { ROLES, type Principal, type Role } from './principal.types';

interface StateRow {
  role: string | null;
  disabled: boolean | null;
  sessions_valid_after: Date | null;
  revoked: boolean;
}

/**
 * What the server knows beyond the token: a role changed since it was issued, a disabled
 * user, a revoked `jti`, a "log out everywhere" cut-off. One query per handshake or request.
 */
@Injectable()
export class SessionStateService {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** The principal as it stands now; throws `user_disabled` or `token_revoked`. */
  async resolve(principal: Principal): Promise<Principal> {
    const [row] = await this.prisma.$queryRawUnsafe<StateRow[]>(
      `SELECT u.role, u.disabled, u.sessions_valid_after,
              EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = $2) AS revoked
       FROM (SELECT 1) AS one LEFT JOIN users u ON u.id = $1`,
      principal.userId,
      principal.jti ?? '',
    );
    if (row?.revoked) throw new AuthException(ErrorCode.TokenRevoked, 'token was revoked');
    if (row?.disabled) throw new AuthException(ErrorCode.UserDisabled, 'user is disabled');
    if (row?.sessions_valid_after && principal.issuedAt <= row.sessions_valid_after.getTime()) {
      throw new AuthException(ErrorCode.TokenRevoked, 'all sessions of the user were revoked');
    }
    const role = row?.role && ROLES.includes(row.role as Role) ? (row.role as Role) : principal.role;
    return { ...principal, role };
  }
}
