/**
 * Loads keys in batches, as the publisher's group commit stores events: while a batch is in
 * flight, the keys asked for meanwhile wait and go together in the next one; with nothing in
 * flight a key goes at the end of the current turn of the event loop (`setImmediate`), so an
 * idle node adds no latency. A reconnect storm is thousands of handshakes that each need a
 * row or two; one statement per handshake made the database round trips, and the driver's
 * and the database's CPU around them, most of a handshake's cost. A batch holds at most
 * `maxBatch` keys. Each caller still reads the database after it asked, never before, so
 * batching changes no answer.
 */
export class MicroBatcher<K, V> {
  private pending = new Map<K, Array<{ resolve: (value: V) => void; reject: (error: unknown) => void }>>();
  private scheduled = false;
  private gatherTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    /** Loads many keys at once; a key missing from the result rejects its callers. */
    private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxBatch = 500,
    /**
     * With nothing in flight, how long the first key waits for others, in ms; 0 waits only
     * for the end of the current turn of the event loop. For loads nobody waits on.
     */
    private readonly gatherMs = 0,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (this.pending.size >= this.maxBatch) this.flush();
      else if (!this.scheduled && this.inFlight === 0) {
        this.scheduled = true;
        if (this.gatherMs > 0) this.gatherTimer = setTimeout(() => this.flush(), this.gatherMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what waits for the gathering time now: someone came to wait on it after all. */
  hurry(): void {
    if (this.gatherTimer) this.flush();
  }

  private flush(): void {
    this.scheduled = false;
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.inFlight++;
    const settle = (values: Map<K, V> | undefined, error?: unknown) => {
      for (const [key, waiters] of batch) {
        const value = values?.get(key);
        for (const waiter of waiters) {
          if (value !== undefined) waiter.resolve(value);
          else waiter.reject(error ?? new Error(`no value loaded for ${String(key)}`));
        }
      }
    };
    const done = () => {
      this.inFlight--;
      // What arrived while this batch was out goes now, as one batch.
      if (this.inFlight === 0 && this.pending.size > 0) this.flush();
    };
    this.loadMany([...batch.keys()]).then(
      (values) => {
        settle(values);
        done();
      },
      (error: unknown) => {
        settle(undefined, error);
        done();
      },
    );
  }
}
