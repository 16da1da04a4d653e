import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import { APP_CONFIG } from '../app.constants';
import type { AppConfig } from '../config/app-config';
import { MicroBatcher } from '../database/micro-batcher';
import { DATABASE, PRISMA, type DatabaseHandle } from '../database/database.types';
import { databaseExecutor, type SqlExecutor } from '../events/sql-executor';
import type { PrismaClient } from '../generated/prisma/client';
import { AuthException } from './auth.exception';
import { ROLES, type Principal, type Role } from './principal.types';
import { SessionMirror, type SessionFacts, type UserState } from './session-mirror';

interface StateRow {
  /** False when the user has no row. */
  known: boolean;
  role: string | null;
  disabled: boolean | null;
  sessions_valid_after: Date | string | null;
  revoked: boolean;
}

interface UserRow {
  id: string;
  role: string | null;
  disabled: boolean;
  sessions_valid_after: Date | string | null;
}

/** One principal's lookup: the user and the token id (empty when the token has none). */
const keyOf = (userId: string, jti: string) => `${userId}\u0000${jti}`;

const STATE_SQL = `
  SELECT q.user_id, q.jti, u.id IS NOT NULL AS known, u.role, u.disabled, u.sessions_valid_after,
         EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = q.jti AND r.expires_at > now()) AS revoked
  FROM unnest($1::text[], $2::text[]) AS q(user_id, jti)
  LEFT JOIN users u ON u.id = q.user_id`;

// One more row than the mirror may hold tells that it would hold too many.
const USERS_SQL = `SELECT id, role, disabled, sessions_valid_after FROM users LIMIT $1`;
const REVOKED_SQL = `SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > now() LIMIT $1`;

const toMs = (value: Date | string | null): number | null => (value === null ? null : new Date(value).getTime());
const userState = (row: { role: string | null; disabled: boolean | null; sessions_valid_after: Date | string | null }): UserState => ({
  role: row.role,
  disabled: row.disabled === true,
  sessionsValidAfter: toMs(row.sessions_valid_after),
});

/**
 * What the server knows beyond the token: a role an admin set, a disabled user, a revoked
 * `jti`, a "log out everywhere" cut-off. Checked on every handshake and request. The node
 * keeps a mirror of these tables (`SessionMirror`): a user the server has decided nothing
 * about, or whose row the mirror holds, is checked without a database round trip. Every
 * change goes through `UsersService`, which commits it and then announces it to every node
 * (`AccessRevocationService`, the same message that closes the user's live sockets); the
 * announcement sends that user's checks to the database until a read after it, so a
 * handshake after a revocation is refused on every node as soon as its live sockets are
 * closed there. A full read every `SESSION_CACHE_REFRESH_SEC` picks up changes made around
 * the API. Reads that go to the database share one statement per turn of the event loop on
 * the direct `pg` path, so a reconnect storm costs a statement per batch, not per socket.
 */
@Injectable()
export class SessionStateService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SessionStateService.name);
  private readonly sql: SqlExecutor;
  private readonly states: MicroBatcher<string, StateRow>;
  private readonly mirror: SessionMirror | undefined;
  private readonly refreshMs: number;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    @Inject(PRISMA) prisma: PrismaClient,
    @Optional() @Inject(DATABASE) database?: DatabaseHandle,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    this.sql = databaseExecutor(prisma, database);
    this.states = new MicroBatcher((keys) => this.loadStates(keys));
    this.refreshMs = config?.sessions.cacheRefreshMs ?? 0;
    this.mirror = this.refreshMs > 0 ? new SessionMirror(config?.sessions.cacheMaxRows ?? 0) : undefined;
  }

  async onModuleInit(): Promise<void> {
    if (!this.mirror) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** True while handshakes are checked against the mirror (for health and tests). */
  get mirrored(): boolean {
    return this.mirror?.active ?? false;
  }

  /** The principal as it stands now; throws `user_disabled` or `token_revoked`. */
  async resolve(principal: Principal): Promise<Principal> {
    const known = this.mirror?.lookup(principal.userId, principal.jti);
    return check(principal, known ?? (await this.read(principal)));
  }

  /** A change to the user (and the revocation of `jti`) was committed: check it at the database. */
  changed(userId: string, jti?: string): void {
    this.mirror?.changed(userId, jti);
  }

  /** Re-reads the tables into the mirror; one at a time, failures logged and kept out. */
  refresh(): Promise<void> {
    this.refreshing ??= this.reload().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async reload(): Promise<void> {
    const mirror = this.mirror!;
    const since = mirror.mark();
    const wasActive = mirror.active;
    try {
      const limit = mirror.maxRows + 1;
      const [users, revoked] = await Promise.all([
        this.sql.query<UserRow>(USERS_SQL, [limit]),
        this.sql.query<{ jti: string; expires_at: Date | string }>(REVOKED_SQL, [limit]),
      ]);
      const fits = mirror.replace(
        {
          users: users.map((row) => [row.id, userState(row)]),
          revoked: revoked.map((row) => [row.jti, new Date(row.expires_at).getTime()]),
        },
        since,
      );
      mirror.prune();
      if (!fits && wasActive !== fits) {
        this.logger.warn({ msg: 'session state exceeds SESSION_CACHE_MAX_ROWS; checks read the database', limit: mirror.maxRows });
      }
    } catch (error) {
      // The mirror keeps what it had: announced changes still go to the database.
      this.logger.warn({ msg: 'reading session state failed', error: (error as Error).message });
    }
  }

  private async read(principal: Principal): Promise<SessionFacts> {
    const since = this.mirror?.mark() ?? 0;
    const row = await this.states.load(keyOf(principal.userId, principal.jti ?? ''));
    const user = row.known ? userState(row) : undefined;
    this.mirror?.learn(principal.userId, user, since);
    return { user, revoked: row.revoked };
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

function check(principal: Principal, facts: SessionFacts): Principal {
  if (facts.revoked) throw new AuthException(ErrorCode.TokenRevoked, 'token was revoked');
  const user = facts.user;
  if (!user) return principal;
  if (user.disabled) throw new AuthException(ErrorCode.UserDisabled, 'user is disabled');
  if (user.sessionsValidAfter !== null && principal.issuedAt <= user.sessionsValidAfter) {
    throw new AuthException(ErrorCode.TokenRevoked, 'all sessions of the user were revoked');
  }
  const role = user.role && ROLES.includes(user.role as Role) ? (user.role as Role) : principal.role;
  return role === principal.role ? principal : { ...principal, role };
}
