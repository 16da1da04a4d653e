import type { UserSockets } from '../connection/user-sockets';
import { TokenBucket } from './token-bucket';

/**
 * Handshake limits of one node: a rate per IP address (token bucket) and a cap on
 * concurrent connections per user (counted in UserSockets). Buckets of quiet IPs are swept
 * so the map stays small.
 */
export class ConnectionLimiter {
  private readonly perIp = new Map<string, TokenBucket>();
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

  hasRoomFor(userId: string): boolean {
    return this.users.count(userId) < this.options.maxConnectionsPerUser;
  }

  /** Sizes, for leak checks and metrics. */
  get sizes(): { ips: number; users: number } {
    return { ips: this.perIp.size, users: this.users.size };
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [ip, bucket] of this.perIp) if (bucket.isIdle(now)) this.perIp.delete(ip);
  }
}
