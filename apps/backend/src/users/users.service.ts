import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '../auth/principal.types';
import { PRISMA } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { AccessRevocationService } from '../websocket/channels/access-revocation.service';

const THIRTY_DAYS_MS = 30 * 24 * 3600_000;

/**
 * Server-side user and session state. Each change is stored first (so new handshakes and
 * requests see it), then enforced on live sockets on every node.
 */
@Injectable()
export class UsersService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly access: AccessRevocationService,
  ) {}

  async setRole(userId: string, role: Role): Promise<void> {
    await this.prisma.user.upsert({ where: { id: userId }, create: { id: userId, role }, update: { role } });
    await this.access.apply({ kind: 'user', userId, at: Date.now() });
  }

  async setDisabled(userId: string, disabled: boolean, roleIfNew: Role = 'user'): Promise<void> {
    await this.prisma.user.upsert({ where: { id: userId }, create: { id: userId, role: roleIfNew, disabled }, update: { disabled } });
    if (disabled) await this.access.apply({ kind: 'disconnect', userId, code: 'user_disabled', at: Date.now() });
  }

  /** "Log out everywhere": every token issued up to now stops working. */
  async revokeSessions(userId: string, roleIfNew: Role = 'user'): Promise<void> {
    const now = new Date();
    await this.prisma.user.upsert({
      where: { id: userId },
      create: { id: userId, role: roleIfNew, sessionsValidAfter: now },
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
