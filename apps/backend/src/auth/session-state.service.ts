import { Inject, Injectable, Optional } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import { MicroBatcher } from '../database/micro-batcher';
import { DATABASE, PRISMA, type DatabaseHandle } from '../database/database.types';
import { databaseExecutor, type SqlExecutor } from '../events/sql-executor';
import type { PrismaClient } from '../generated/prisma/client';
import { AuthException } from './auth.exception';
import { ROLES, type Principal, type Role } from './principal.types';

interface StateRow {
  role: string | null;
  disabled: boolean | null;
  sessions_valid_after: Date | string | null;
  revoked: boolean;
}

/** One principal's lookup: the user and the token id (empty when the token has none). */
const keyOf = (userId: string, jti: string) => `${userId}\u0000${jti}`;

const STATE_SQL = `
  SELECT q.user_id, q.jti, u.role, u.disabled, u.sessions_valid_after,
         EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = q.jti) AS revoked
  FROM unnest($1::text[], $2::text[]) AS q(user_id, jti)
  LEFT JOIN users u ON u.id = q.user_id`;

/**
 * What the server knows beyond the token: a role an admin set, a disabled user, a revoked
 * `jti`, a "log out everywhere" cut-off. Read on every handshake and request, never cached
 * (a revocation must hold at once); the reads of one turn of the event loop share one
 * statement on the direct `pg` path, so a reconnect storm costs a statement per batch, not
 * per socket.
 */
@Injectable()
export class SessionStateService {
  private readonly sql: SqlExecutor;
  private readonly states: MicroBatcher<string, StateRow>;

  constructor(@Inject(PRISMA) prisma: PrismaClient, @Optional() @Inject(DATABASE) database?: DatabaseHandle) {
    this.sql = databaseExecutor(prisma, database);
    this.states = new MicroBatcher((keys) => this.loadStates(keys));
  }

  /** The principal as it stands now; throws `user_disabled` or `token_revoked`. */
  async resolve(principal: Principal): Promise<Principal> {
    const row = await this.states.load(keyOf(principal.userId, principal.jti ?? ''));
    if (row.revoked) throw new AuthException(ErrorCode.TokenRevoked, 'token was revoked');
    if (row.disabled) throw new AuthException(ErrorCode.UserDisabled, 'user is disabled');
    if (row.sessions_valid_after && principal.issuedAt <= new Date(row.sessions_valid_after).getTime()) {
      throw new AuthException(ErrorCode.TokenRevoked, 'all sessions of the user were revoked');
    }
    const role = row.role && ROLES.includes(row.role as Role) ? (row.role as Role) : principal.role;
    return { ...principal, role };
  }

  private async loadStates(keys: string[]): Promise<Map<string, StateRow>> {
    const pairs = keys.map((key) => key.split('\u0000') as [string, string]);
    const rows = await this.sql.query<StateRow & { user_id: string; jti: string }>(
      STATE_SQL,
      [pairs.map(([userId]) => userId), pairs.map(([, jti]) => jti)],
      'session_state',
    );
    return new Map(rows.map((row) => [keyOf(row.user_id, row.jti), row]));
  }
}
