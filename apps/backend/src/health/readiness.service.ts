import { Inject, Injectable, Optional } from '@nestjs/common';
import type { RedisClient } from '../redis/redis-client';
import { REDIS } from '../app.constants';
import type { JwksStatus } from '../auth/jwks/verify-key.types';
import { JwtVerifierService } from '../auth/jwt-verifier.service';
import { DATABASE, type DatabaseHandle } from '../database/database.types';

export interface ReadinessCheck extends Partial<JwksStatus> {
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

/**
 * Whether this node should receive traffic: database (and Redis, when configured) answer, not
 * draining, and with JWT_JWKS_URL, the provider's keys are loaded. Keys from an earlier fetch
 * count (state `stale`, still ready: tokens of those keys verify; the outage shows in the
 * check); a node that never got the keys can verify no token, so it is not ready.
 */
@Injectable()
export class ReadinessService {
  private draining = false;

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Optional() @Inject(REDIS) private readonly redis: RedisClient | undefined,
    @Optional() @Inject(JwtVerifierService) private readonly verifier: JwtVerifierService | undefined,
  ) {}

  markDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async check(): Promise<ReadinessReport> {
    const checks: ReadinessReport['checks'] = {};
    checks.database = await this.probe(() => this.database.prisma.$queryRawUnsafe('SELECT 1'));
    if (this.redis) {
      const redis = this.redis;
      checks.redis = await this.probe(() => redis.ping());
    }
    const jwks = this.verifier?.jwks?.status;
    if (jwks) {
      const ok = jwks.keyCount > 0;
      checks.jwks = { ok, ...jwks, ...(ok ? {} : { error: `no keys loaded yet${jwks.lastError ? `: ${jwks.lastError}` : ''}` }) };
    }
    checks.accepting = { ok: !this.draining, ...(this.draining ? { error: 'draining' } : {}) };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private async probe(run: () => Promise<unknown>): Promise<ReadinessCheck> {
    const started = performance.now();
    try {
      await withTimeout(run(), 2000);
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }
}
