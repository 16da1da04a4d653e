import type { ReconnectionOptions } from './realtime-client.options';

/**
 * The delays of the reconnections the client schedules itself: after the server refused a
 * handshake or closed the socket (socket.io-client does not reconnect in those cases). It
 * uses the same formula and options as socket.io-client's own backoff for lost transports.
 */
export class ReconnectBackoff {
  private attempts = 0;

  constructor(
    private readonly options: Required<ReconnectionOptions>,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt, or `undefined` when the attempts are used up. */
  next(): number | undefined {
    if (this.attempts >= this.options.attempts) return undefined;
    const base = Math.min(this.options.delayMs * 2 ** this.attempts, this.options.delayMaxMs);
    this.attempts++;
    const deviation = (this.random() * 2 - 1) * this.options.randomizationFactor * base;
    return Math.max(0, Math.min(Math.round(base + deviation), this.options.delayMaxMs));
  }

  /**
   * A delay the server asked for (`retryAfterMs`), made a little longer at random so that
   * every client of a draining node does not come back in the same millisecond. Counts as
   * an attempt.
   */
  after(retryAfterMs: number): number {
    this.attempts++;
    return Math.round(retryAfterMs * (1 + this.random() * this.options.randomizationFactor));
  }

  reset(): void {
    this.attempts = 0;
  }
}
