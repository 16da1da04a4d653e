import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '../auth/principal.types';
import { PRISMA } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { AccessRevocationService } from '../websocket/channels/access-revocation.service';

const THIRTY_DAYS_MS = 30 * 24 * 3600_000;

/**
 * Server-side user and session state. Each change is stored first (so new handshakes and
 * requests see it), then enforced on live sockets on every node.
 *
 * The rule for roles: a `users` row keeps only what the server itself decided. Its role is
 * set by an admin (`setRole`) and then overrides the token's role until an admin clears it
 * (`clearRole`); a row created for any other reason (disable, enable, log out everywhere)
 * has no role, so the identity provider's role keeps applying and a demotion there takes
 * effect with the next token.
 */
@Injectable()
export class UsersService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly access: AccessRevocationService,
  ) {}

  async setRole(userId: string, role: Role, setBy: string): Promise<void> {
    const decided = { role, roleSetBy: setBy, roleSetAt: new Date() };
    await this.prisma.user.upsert({ where: { id: userId }, create: { id: userId, ...decided }, update: decided });
    await this.access.apply({ kind: 'user', userId, at: Date.now() });
  }

  /** Back to the token's role. */
  async clearRole(userId: string, clearedBy: string): Promise<void> {
    await this.prisma.user.updateMany({ where: { id: userId }, data: { role: null, roleSetBy: clearedBy, roleSetAt: new Date() } });
    await this.access.apply({ kind: 'user', userId, at: Date.now() });
  }

  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    await this.prisma.user.upsert({ where: { id: userId }, create: { id: userId, disabled }, update: { disabled } });
    if (disabled) await this.access.apply({ kind: 'disconnect', userId, code: 'user_disabled', at: Date.now() });
    // Nothing to close, but every node's session mirror must learn the user is back.
    else await this.access.apply({ kind: 'user', userId, at: Date.now() });
  }

  /** "Log out everywhere": every token issued up to now stops working. */
  async revokeSessions(userId: string): Promise<void> {
    const now = new Date();
    await this.prisma.user.upsert({
      where: { id: userId },
      create: { id: userId, sessionsValidAfter: now },
      update: { sessionsValidAfter: now },
    });
    await this.access.apply({ kind: 'disconnect', userId, code: 'token_revoked', at: Date.now() });
  }

  async revokeToken(userId: string, jti: string, expiresAt?: Date): Promise<void> {
    const until = expiresAt ?? new Date(Date.now() + THIRTY_DAYS_MS);
    await this.prisma.revokedToken.upsert({ where: { jti }, create: { jti, userId, expiresAt: until }, update: {} });
    await this.access.apply({ kind: 'disconnect', userId, jti, code: 'token_revoked', at: Date.now() });
  }
}
