import { TokenBucket } from './token-bucket';

/**
 * Handshake limits of one node: a rate per IP address (token bucket) and a cap on
 * concurrent connections per user. Buckets of quiet IPs are swept so the map stays small.
 */
export class ConnectionLimiter {
  private readonly perIp = new Map<string, TokenBucket>();
  private readonly perUser = new Map<string, number>();
  private lastSweep = Date.now();

  constructor(
    private readonly options: { connectionsPerSecondPerIp: number; connectionBurstPerIp: number; maxConnectionsPerUser: number },
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
    return (this.perUser.get(userId) ?? 0) < this.options.maxConnectionsPerUser;
  }

  connected(userId: string): void {
    this.perUser.set(userId, (this.perUser.get(userId) ?? 0) + 1);
  }

  disconnected(userId: string): void {
    const count = (this.perUser.get(userId) ?? 1) - 1;
    if (count <= 0) this.perUser.delete(userId);
    else this.perUser.set(userId, count);
  }

  /** Sizes, for leak checks and metrics. */
  get sizes(): { ips: number; users: number } {
    return { ips: this.perIp.size, users: this.perUser.size };
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [ip, bucket] of this.perIp) if (bucket.isIdle(now)) this.perIp.delete(ip);
  }
}
