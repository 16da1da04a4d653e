import type { UserSockets } from '../connection/user-sockets';
import { TokenBucket } from './token-bucket';

/**
 * Handshake limits of one node: a rate per IP address (token bucket) and a cap on
 * concurrent connections per user (counted in UserSockets). Buckets of quiet IPs are swept
 * so the map stays small.
 */
/**
 * What the transport does with a new connection from an address: let it through, let it
 * through to be refused with a clear `rate_limited` by the namespace, or drop it at the
 * transport (HTTP 403) because the address kept coming after its refusals.
 */
export type TransportAdmission = 'allowed' | 'refused' | 'dropped';

export class ConnectionLimiter {
  private readonly perIp = new Map<string, TokenBucket>();
  /** Clear refusals left per address; a flood beyond them costs a 403 and nothing more. */
  private readonly refusalsPerIp = new Map<string, TokenBucket>();
  private lastSweep = Date.now();

  constructor(
    private readonly options: { connectionsPerSecondPerIp: number; connectionBurstPerIp: number; maxConnectionsPerUser: number },
    private readonly users: UserSockets,
  ) {}

  allowHandshake(ip: string, now: number = Date.now()): boolean {
    if (now - this.lastSweep > 60_000) this.sweep(now);
    let bucket = this.perIp.get(ip);
    if (!bucket) {
      bucket = new TokenBucket(this.options.connectionBurstPerIp, this.options.connectionsPerSecondPerIp, now);
      this.perIp.set(ip, bucket);
    }
    return bucket.take(now);
  }

  /** Decided once per Engine.IO handshake, before any namespace is joined. */
  admitTransport(ip: string, now: number = Date.now()): TransportAdmission {
    if (this.allowHandshake(ip, now)) return 'allowed';
    let refusals = this.refusalsPerIp.get(ip);
    if (!refusals) {
      refusals = new TokenBucket(this.options.connectionBurstPerIp, this.options.connectionsPerSecondPerIp, now);
      this.refusalsPerIp.set(ip, refusals);
    }
    return refusals.take(now) ? 'refused' : 'dropped';
  }

  hasRoomFor(userId: string): boolean {
    return this.users.count(userId) < this.options.maxConnectionsPerUser;
  }

  /** Sizes, for leak checks and metrics. */
  get sizes(): { ips: number; users: number } {
    return { ips: this.perIp.size + this.refusalsPerIp.size, users: this.users.size };
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [ip, bucket] of this.perIp) if (bucket.isIdle(now)) this.perIp.delete(ip);
    for (const [ip, bucket] of this.refusalsPerIp) if (bucket.isIdle(now)) this.refusalsPerIp.delete(ip);
  }
}
