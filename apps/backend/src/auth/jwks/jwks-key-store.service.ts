import { Logger, type LoggerService } from '@nestjs/common';
import type { JwksConfig } from '../../config/app-config';
import type { JwtAlgorithm } from '../../config/app-config.schema';
import { fetchJwks } from './jwks-fetch.util';
import { importJwks } from './jwk-import.util';
import type { JwksState, JwksStatus, VerifyKey } from './verify-key.types';

/** Retries after a failed fetch start at 1 s and double up to this (or the refresh interval). */
const MAX_RETRY_MS = 60_000;

export type JwksLogger = Pick<LoggerService, 'log' | 'warn' | 'error'>;

/**
 * The identity provider's signing keys, by `kid`: fetched at start (without blocking it),
 * refreshed on a schedule and when a token names a `kid` not seen yet (at most once per
 * cooldown, so a flood of made-up kids cannot hammer the provider). A failed fetch keeps the
 * last good keys and is retried with backoff; until a first fetch succeeds there are none.
 */
export class JwksKeyStore {
  private byKid = new Map<string, VerifyKey>();
  private all: VerifyKey[] = [];
  private state: JwksState = 'starting';
  private lastSuccessAt: number | undefined;
  private lastError: string | null = null;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly config: JwksConfig,
    private readonly algorithms: readonly JwtAlgorithm[],
    private readonly logger: JwksLogger = new Logger('Jwks'),
  ) {}

  /** Starts the first fetch and the schedule; returns at once (the app starts without keys). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.refresh();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** The key a token names; without a `kid`, the only key there is. */
  find(kid: string | undefined): VerifyKey | undefined {
    if (kid !== undefined) return this.byKid.get(kid);
    return this.all.length === 1 ? this.all[0] : undefined;
  }

  /**
   * Fetches again for a `kid` not in the set, unless a fetch ran less than the cooldown ago;
   * resolves once the answer is in (or at once). Concurrent callers share one fetch.
   */
  refreshForUnknownKid(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (performance.now() - this.lastAttemptAt < this.config.cooldownMs) return Promise.resolve();
    return this.refresh();
  }

  /** True while the provider's latest answer is a failure (or there was none yet). */
  get unreachable(): boolean {
    return this.state !== 'ok';
  }

  get status(): JwksStatus {
    return {
      state: this.state,
      keyCount: this.all.length,
      lastSuccessAt: this.lastSuccessAt === undefined ? null : new Date(this.lastSuccessAt).toISOString(),
      lastError: this.lastError,
    };
  }

  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    clearTimeout(this.timer);
    this.lastAttemptAt = performance.now();
    this.inFlight = this.load().then((ok) => {
      this.inFlight = undefined;
      if (!this.running) return;
      const retryMs = Math.min(
        1000 * 2 ** Math.min(this.failures - 1, 16),
        MAX_RETRY_MS,
        this.config.refreshMs,
      );
      // Jitter: nodes started together should not refetch together.
      const delay = (ok ? this.config.refreshMs : retryMs) * (0.9 + Math.random() * 0.2);
      this.timer = setTimeout(() => void this.refresh(), delay).unref();
    });
    return this.inFlight;
  }

  private async load(): Promise<boolean> {
    try {
      const { keys, skipped } = await importJwks(
        await fetchJwks(this.config.url, this.config.timeoutMs),
        this.algorithms,
      );
      if (keys.length === 0)
        throw new Error(`no usable key in the set${skipped.length ? `: ${skipped.join('; ')}` : ''}`);
      this.replace(keys, skipped);
      this.failures = 0;
      this.lastError = null;
      this.lastSuccessAt = Date.now();
      this.state = 'ok';
      return true;
    } catch (error) {
      this.failures += 1;
      this.lastError = (error as Error).message;
      this.reportFailure();
      return false;
    }
  }

  private replace(keys: VerifyKey[], skipped: string[]): void {
    const byKid = new Map<string, VerifyKey>();
    const all: VerifyKey[] = [];
    for (const key of keys) {
      if (key.kid !== undefined && byKid.has(key.kid)) {
        skipped.push(`key ${key.kid}: another key has the same kid`);
        continue;
      }
      if (key.kid !== undefined) byKid.set(key.kid, key);
      all.push(key);
    }
    const before = [...this.byKid.keys()].sort().join(',');
    const after = [...byKid.keys()].sort().join(',');
    const recovered = this.state !== 'ok';
    this.byKid = byKid;
    this.all = all;
    if (before === after && !recovered) return;
    this.logger.log({
      msg: recovered && this.lastError !== null ? 'JWKS loaded again; its keys are in use' : 'JWKS loaded',
      kids: [...byKid.keys()],
      keyCount: all.length,
      ...(skipped.length ? { skipped } : {}),
    });
  }

  private reportFailure(): void {
    const reason = this.lastError;
    if (this.state === 'starting') {
      this.logger.error({
        msg: 'JWKS could not be loaded: tokens are refused with auth_unavailable until it is; retrying',
        url: this.config.url,
        reason,
        attempt: this.failures,
      });
      return;
    }
    this.state = 'stale';
    this.logger.warn({
      msg: 'JWKS refresh failed: the keys of the last good fetch stay in use; retrying',
      url: this.config.url,
      reason,
      keyCount: this.all.length,
      lastSuccessAt: this.status.lastSuccessAt,
      attempt: this.failures,
    });
  }
}
