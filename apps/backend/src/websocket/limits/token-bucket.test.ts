import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst of its capacity, then refills at its rate', () => {
    const bucket = new TokenBucket(3, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(400)).toBe(false); // 0.8 tokens
    expect(bucket.take(500)).toBe(true); // 1 token after 500 ms at 2/s
    expect(bucket.take(500)).toBe(false);
  });

  it('never holds more than its capacity and reports idleness once full', () => {
    const bucket = new TokenBucket(2, 1, 0);
    bucket.take(0);
    expect(bucket.isIdle(500)).toBe(false);
    expect(bucket.isIdle(1000)).toBe(true);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([true, true, false]);
  });
});
