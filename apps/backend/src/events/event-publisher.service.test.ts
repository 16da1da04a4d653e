import type { EventEnvelope } from '@taskdash/contract';
import { EventPublisher } from './event-publisher.service';
import type { EventStore, PendingEvent } from './event-store';

const TASK = '00000000-0000-4000-8000-000000000001';
const STREAM = `task:${TASK}`;

/** A store whose appends the test completes by hand, recording the order of calls. */
class ManualStore {
  readonly log: string[] = [];
  private readonly pending: Array<() => void> = [];
  private seq = 0;

  append(events: readonly PendingEvent[]): Promise<EventEnvelope[]> {
    this.log.push(`append ${events.length}`);
    return new Promise((resolve) => {
      this.pending.push(() =>
        resolve(events.map((e) => ({ ...e, seq: ++this.seq, epoch: 'e', occurredAt: e.occurredAt.toISOString() }) as EventEnvelope)),
      );
    });
  }

  /** Completes the oldest append in flight. */
  complete(): void {
    this.pending.shift()?.();
  }

  get inFlight(): number {
    return this.pending.length;
  }
}

const flushed = () => new Promise<void>((resolve) => setImmediate(resolve));
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 100 && !condition(); i++) await flushed();
};

const deleted = () => ({ stream: STREAM, type: 'task.deleted' as const, payload: { taskId: TASK } });

const OTHER_TASK = '00000000-0000-4000-8000-000000000002';
const other = () => ({ stream: `task:${OTHER_TASK}`, type: 'task.deleted' as const, payload: { taskId: OTHER_TASK } });

const publisherOver = (store: ManualStore) =>
  new EventPublisher(store as unknown as EventStore, {
    batchWindowMs: 0,
    maxBatchSize: 1000,
    maxInFlight: 4,
    maxPending: 1000,
    enqueueTimeoutMs: 1000,
    storeTimeoutMs: 10_000,
  });

describe('EventPublisher pipelining', () => {
  it("sends a stream's next batch once its previous one is stored, and before fanning that one out", async () => {
    const store = new ManualStore();
    const publisher = publisherOver(store);
    publisher.committed.subscribe((events) => store.log.push(`fanout ${events.map((e) => e.seq).join(',')}`));

    const first = publisher.publish(deleted());
    await until(() => store.inFlight === 1);
    // Published while the first batch is being stored: same stream, so they wait for it.
    const rest = [publisher.publish(deleted()), publisher.publish(deleted())];
    await flushed();
    expect(store.inFlight).toBe(1);

    store.complete();
    await until(() => store.log.length >= 3);
    expect(store.log).toEqual(['append 1', 'append 2', 'fanout 1']);
    expect((await first).seq).toBe(1);

    store.complete();
    const stored = await Promise.all(rest);
    expect(stored.map((e) => e.seq)).toEqual([2, 3]);
    expect(store.log).toEqual(['append 1', 'append 2', 'fanout 1', 'fanout 2,3']);
    await publisher.drain();
  });

  it('stores batches of different streams at once, and what was published in one turn together', async () => {
    const store = new ManualStore();
    const publisher = publisherOver(store);
    const first = publisher.publish(deleted());
    await until(() => store.inFlight === 1);
    // A stream with nothing in flight does not wait for the other stream's INSERT.
    const both = [publisher.publish(other()), publisher.publish(other())];
    await until(() => store.inFlight === 2);
    expect(store.log).toEqual(['append 1', 'append 2']);
    store.complete();
    store.complete();
    await Promise.all([first, ...both]);
    await publisher.drain();
  });

  it("fans a stream's batches out in seq order when the later INSERT returns first, and drain waits for both", async () => {
    const store = new ManualStore();
    const publisher = publisherOver(store);
    const fannedOut: number[] = [];
    publisher.committed.subscribe((events) => fannedOut.push(...events.map((e) => e.seq)));
    void publisher.publish(deleted());
    await until(() => store.inFlight === 1);
    void publisher.publish(deleted());
    const drained = publisher.drain();
    store.complete();
    await until(() => store.inFlight === 1);
    store.complete();
    await drained;
    expect(fannedOut).toEqual([1, 2]);
  });
});
