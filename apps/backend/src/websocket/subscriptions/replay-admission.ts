/**
 * A counting semaphore with a FIFO queue. When a node dies and thousands of clients
 * reconnect here at once, their replays run a bounded number at a time instead of all
 * hitting the database together; the rest wait their turn (everyone is served, in order).
 */
export class ReplayAdmission {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next in line
      else this.running--;
    }
  }
}
