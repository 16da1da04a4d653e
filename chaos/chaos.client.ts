import type { EventEnvelope } from '../packages/contract/src';
import { RealtimeClient } from '../packages/client/src';
import { WireTap } from './wire.tap';

export interface Received {
  seq: number;
  op: string | undefined;
  type: string;
  at: number;
}

/**
 * One dashboard client through the real client package (`RealtimeClient`, which resumes
 * and de-duplicates by itself). It records what the app would see: every delivered event
 * per stream, every reload notice and how long each reconnect took; and, below the client
 * library, every raw protocol message both ways (`tap`), which is what the wire checker
 * judges against the store.
 */
export class ChaosClient {
  readonly received = new Map<string, Received[]>();
  readonly reloads: string[] = [];
  readonly reconnectMs: number[] = [];
  readonly errors: string[] = [];
  /** Whole events per stream, in delivery order (only with `keepEvents`: checked against the store). */
  readonly events = new Map<string, EventEnvelope[]>();
  /** `output_skipped` notices: output the server left out for this viewer. */
  readonly skipped: string[] = [];
  /** Where each subscription started live: events up to it were stored before it. */
  readonly startSeq = new Map<string, number>();
  private offlineSince: number | undefined;
  readonly client: RealtimeClient;
  readonly tap: WireTap;

  constructor(
    readonly url: string,
    token: string,
    readonly streams: string[],
    private readonly keepEvents = false,
  ) {
    this.client = new RealtimeClient({
      url,
      token,
      reconnection: { delayMs: 100, delayMaxMs: 2000 },
      ackTimeoutMs: 15_000,
    });
    this.tap = new WireTap(this.client.socket);
    for (const stream of streams) this.received.set(stream, []);
    this.client.on('event', (event) => this.record(event));
    this.client.on('reload', (notice) => this.reloads.push(`${notice.stream}:${notice.reason}`));
    this.client.on('subscription_failed', (failure) => this.errors.push(`subscription_failed ${failure.stream} ${failure.error.code}`));
    this.client.on('output_skipped', (notice) => this.skipped.push(`${notice.stream}:${notice.fromSeq}-${notice.toSeq}`));
    this.client.on('access_revoked', (notice) => this.errors.push(`access_revoked ${notice.stream} ${notice.code}`));
    this.client.on('state', ({ state }) => {
      const now = Date.now();
      if (state === 'reconnecting' && this.offlineSince === undefined) this.offlineSince = now;
      if (state === 'resumed' && this.offlineSince !== undefined) {
        this.reconnectMs.push(now - this.offlineSince);
        this.offlineSince = undefined;
      }
    });
    this.client.on('error', () => undefined);
  }

  async start(): Promise<void> {
    this.client.connect();
    const results = await this.client.subscribe(this.streams);
    for (const result of results) {
      if (!result.ok) throw new Error(`subscribe refused: ${JSON.stringify(result)}`);
      this.startSeq.set(result.stream, result.position.seq);
    }
  }

  close(): void {
    this.client.close();
  }

  private record(event: EventEnvelope): void {
    if (this.keepEvents) {
      const events = this.events.get(event.stream);
      if (events) events.push(event);
      else this.events.set(event.stream, [event]);
    }
    const payload = event.payload as { changes?: { title?: unknown } };
    const title = payload.changes?.title;
    const list = this.received.get(event.stream);
    const entry = { seq: event.seq, op: typeof title === 'string' ? title : undefined, type: event.type, at: Date.now() };
    if (list) list.push(entry);
    else this.received.set(event.stream, [entry]);
  }
}
