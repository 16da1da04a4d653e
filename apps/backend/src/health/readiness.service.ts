import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '../app.constants';
import { DATABASE, type DatabaseHandle } from '../database/database.types';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; latencyMs?: number; error?: string }>;
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

/** Whether this node should receive traffic: database (and Redis, when configured) answer, not draining. */
@Injectable()
export class ReadinessService {
  private draining = false;

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Optional() @Inject(REDIS) private readonly redis: Redis | undefined,
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
    checks.accepting = { ok: !this.draining, ...(this.draining ? { error: 'draining' } : {}) };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private async probe(run: () => Promise<unknown>): Promise<{ ok: boolean; latencyMs?: number; error?: string }> {
    const started = performance.now();
    try {
      await withTimeout(run(), 2000);
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }
}
