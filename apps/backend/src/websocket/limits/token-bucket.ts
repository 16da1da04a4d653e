/** A classic token bucket: `capacity` tokens, refilled continuously at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now: number = Date.now(),
  ) {
    this.tokens = capacity;
    this.updated = now;
  }

  /** Takes one token if there is one. */
  take(now: number = Date.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updated) / 1000) * this.perSecond);
    this.updated = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket has been full for a while, so its entry can be forgotten. */
  isIdle(now: number = Date.now()): boolean {
    return this.tokens + ((now - this.updated) / 1000) * this.perSecond >= this.capacity;
  }
}
