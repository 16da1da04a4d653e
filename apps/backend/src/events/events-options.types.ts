/** Tuning of the publish path (group commit). */
export interface PublisherOptions {
  /**
   * How long the first event of a batch waits for company, in ms; 0: until the end of the
   * current turn of the event loop (what was published together is stored together).
   * @default 0
   */
  batchWindowMs: number;
  /** Most events in one INSERT. @default 1000 */
  maxBatchSize: number;
  /**
   * Most INSERTs being stored at once (on as many pool connections). Batches in flight
   * never share a stream, so this adds concurrency only across streams. @default 4
   */
  maxInFlight: number;
  /** Most events accepted but not stored yet; beyond it callers wait (backpressure). @default 20000 */
  maxPending: number;
  /** How long a caller waits for room in a full queue before `unavailable`. @default 5000 */
  enqueueTimeoutMs: number;
  /** How long a batch is retried while the database fails before its callers get `unavailable`. @default 10000 */
  storeTimeoutMs: number;
}

/** History kept per stream, enforced by a periodic purge. */
export interface RetentionOptions {
  /** Events older than this are purged, in ms. @default 7 days */
  maxAgeMs: number;
  /** At most this many events are kept per stream. @default 10000 */
  maxPerStream: number;
  /** How often the purge runs, in ms; 0 disables it. @default 60000 */
  intervalMs: number;
}

/** Domain transactions that append events (`EventTransactions.run`). */
export interface TransactionOptions {
  /**
   * The longest a transaction may wait for a connection and then run, in ms; past it the
   * transaction is rolled back and the caller gets `unavailable`. The same limit bounds the
   * group-commit retries (`PublisherOptions.storeTimeoutMs`), so both paths give up together.
   * @default 10000
   */
  timeoutMs: number;
  /**
   * Attempts for a transaction that PostgreSQL aborted to break a deadlock or a
   * serialization conflict (40P01, 40001): the work is run again from the start. @default 3
   */
  maxAttempts: number;
}

/** Options of `EventsModule.forRoot`. */
export interface EventsModuleOptions {
  publisher: PublisherOptions;
  retention: RetentionOptions;
  transactions: TransactionOptions;
}

export const DEFAULT_EVENTS_OPTIONS: EventsModuleOptions = {
  publisher: { batchWindowMs: 0, maxBatchSize: 1000, maxInFlight: 4, maxPending: 20_000, enqueueTimeoutMs: 5000, storeTimeoutMs: 10_000 },
  retention: { maxAgeMs: 7 * 24 * 3600 * 1000, maxPerStream: 10_000, intervalMs: 60_000 },
  transactions: { timeoutMs: 10_000, maxAttempts: 3 },
};
