import { ReconnectBackoff } from './reconnect.backoff';

const options = { attempts: 5, delayMs: 100, delayMaxMs: 1_000, randomizationFactor: 0.5 };

describe('ReconnectBackoff', () => {
  it('doubles the delay up to the maximum when there is no randomness', () => {
    const backoff = new ReconnectBackoff({ ...options, randomizationFactor: 0 });
    expect([1, 2, 3, 4, 5].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('keeps the jitter within the randomization factor', () => {
    expect(new ReconnectBackoff(options, () => 0).next()).toBe(50);
    expect(new ReconnectBackoff(options, () => 0.999999).next()).toBe(150);
  });

  it('gives up after the configured attempts and starts over after reset', () => {
    const backoff = new ReconnectBackoff({ ...options, attempts: 2 });
    expect(backoff.next()).toBeDefined();
    expect(backoff.next()).toBeDefined();
    expect(backoff.next()).toBeUndefined();
    backoff.reset();
    expect(backoff.next()).toBeDefined();
  });

  it('never shortens a delay the server asked for', () => {
    expect(new ReconnectBackoff(options, () => 0).after(2_000)).toBe(2_000);
    expect(new ReconnectBackoff(options, () => 0.5).after(2_000)).toBe(2_500);
  });
});
