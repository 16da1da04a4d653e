import type { EventEnvelope } from '@taskdash/contract';
import type { EventStore, StreamHead } from '../../events/event-store';
import { StreamDispatcher } from './stream-dispatcher.service';

const STREAM = 'task:00000000-0000-4000-8000-000000000001';
const EPOCH = '00000000-0000-4000-8000-0000000000aa';

const event = (seq: number): EventEnvelope => ({
  id: `id-${seq}`,
  stream: STREAM,
  seq,
  epoch: EPOCH,
  type: 'task.deleted',
  occurredAt: new Date(0).toISOString(),
  payload: { taskId: '00000000-0000-4000-8000-000000000001' },
});

/** A store holding events 1..last in memory; `headDelay` lets a test deliver while the head is read. */
class FakeStore {
  last = 0;
  headDelay: Promise<void> = Promise.resolve();
  reads = 0;
  async ensureHead(): Promise<StreamHead> {
    const last = this.last;
    await this.headDelay;
    return { name: STREAM, lastSeq: last, firstSeq: 1, epoch: EPOCH };
  }
  /** Reads after the delay, as a batched read that waited for others does. */
  async peekHead(): Promise<StreamHead> {
    await this.headDelay;
    return { name: STREAM, lastSeq: this.last, firstSeq: 1, epoch: EPOCH };
  }
  async currentHead(): Promise<StreamHead> {
    return { name: STREAM, lastSeq: this.last, firstSeq: 1, epoch: EPOCH };
  }
  async heads(): Promise<StreamHead[]> {
    return [{ name: STREAM, lastSeq: this.last, firstSeq: 1, epoch: EPOCH }];
  }
  headQueries = 0;
  async changedHeads(known: Array<{ name: string; lastSeq: number; epoch: string }>): Promise<StreamHead[]> {
    this.headQueries++;
    return known
      .filter((k) => k.name === STREAM && (k.lastSeq < this.last || k.epoch !== EPOCH))
      .map(() => ({ name: STREAM, lastSeq: this.last, firstSeq: 1, epoch: EPOCH }));
  }
  async read(_stream: string, after: number, upTo: number, limit: number): Promise<EventEnvelope[]> {
    this.reads++;
    const out: EventEnvelope[] = [];
    for (let seq = after + 1; seq <= Math.min(upTo, this.last) && out.length < limit; seq++) out.push(event(seq));
    return out;
  }
}

function setup() {
  const store = new FakeStore();
  const dispatcher = new StreamDispatcher(store as unknown as EventStore, undefined, 0);
  const emitted: number[] = [];
  const messages: string[][] = [];
  dispatcher.setEmitter((runs) => {
    messages.push(runs.map((run) => run.room));
    for (const run of runs) emitted.push(...run.events.map((e) => e.seq));
  });
  return { store, dispatcher, emitted, messages };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('StreamDispatcher', () => {
  it('emits strictly in seq order, holding early arrivals and dropping duplicates', async () => {
    const { store, dispatcher, emitted } = setup();
    await dispatcher.acquire(STREAM);
    store.last = 3;
    dispatcher.deliver([event(2), event(3)]); // 1 is late
    dispatcher.deliver([event(1), event(2)]);
    await settle();
    expect(emitted).toEqual([1, 2, 3]);
  });

  it('fills a gap from the store when a message never arrives (lost cross-node message)', async () => {
    const { store, dispatcher, emitted } = setup();
    await dispatcher.acquire(STREAM);
    store.last = 5;
    dispatcher.deliver([event(1), event(4), event(5)]);
    await settle();
    await settle();
    expect(emitted).toEqual([1, 2, 3, 4, 5]);
  });

  it('delivers the tail found by a head check even when no later event reveals the gap', async () => {
    const { store, dispatcher, emitted } = setup();
    await dispatcher.acquire(STREAM);
    store.last = 2;
    await dispatcher.checkHeads();
    expect(emitted).toEqual([1, 2]);
  });

  it('hands the runs of one delivery to the emitter together, one run per stream', async () => {
    const { store, dispatcher, messages } = setup();
    const other = 'task:00000000-0000-4000-8000-000000000002';
    await dispatcher.acquire(STREAM);
    await dispatcher.acquire(other);
    store.last = 2;
    dispatcher.deliver([event(1), { ...event(1), stream: other, id: 'other-1' }, event(2)]);
    expect(messages).toEqual([[`s:${STREAM}`, `s:${other}`]]);
  });

  it('keeps events that arrive while the head is being read', async () => {
    const { store, dispatcher, emitted } = setup();
    let release!: () => void;
    store.headDelay = new Promise((resolve) => (release = resolve));
    const acquiring = dispatcher.acquire(STREAM);
    store.last = 1;
    dispatcher.deliver([event(1)]);
    release();
    await acquiring;
    expect(emitted).toEqual([1]);
    expect(store.reads).toBe(0);
  });

  it('starts an unpositioned subscriber before the events stored while its head read waited', async () => {
    const { store, dispatcher, emitted } = setup();
    store.last = 2;
    let release!: () => void;
    store.headDelay = new Promise((resolve) => (release = resolve));
    const acquiring = dispatcher.acquireUnpositioned(STREAM);
    store.last = 4;
    dispatcher.deliver([event(3), event(4)]);
    release();
    const { state, from } = await acquiring;
    // The read saw 4; the subscriber asked before 3 was stored, so it starts after 2.
    expect({ from, head: state.head }).toEqual({ from: 2, head: 4 });
    expect(emitted).toEqual([]);
    // Another subscriber of the tracked stream starts at the head.
    expect((await dispatcher.acquireUnpositioned(STREAM)).from).toBe(4);
  });

  it('ignores streams nobody on this node follows, and forgets a stream once its room is empty', async () => {
    const { dispatcher, emitted } = setup();
    dispatcher.deliver([event(1)]);
    expect(emitted).toEqual([]);
    await dispatcher.acquire(STREAM);
    dispatcher.release(STREAM, true);
    expect(dispatcher.trackedStreams).toEqual([]);
  });

  it('holds early arrivals per stream: one stream waiting for a gap leaves every other stream with nothing held', async () => {
    const store = new FakeStore();
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    // The fill for the gap waits, so the early event stays held meanwhile.
    store.read = async () => {
      await blocked;
      return [];
    };
    const dispatcher = new StreamDispatcher(store as unknown as EventStore, undefined, 0);
    dispatcher.setEmitter(() => undefined);
    const other = 'task:00000000-0000-4000-8000-000000000002';
    await dispatcher.acquire(STREAM);
    await dispatcher.acquire(other);
    dispatcher.deliver([event(3)]);
    expect(dispatcher.state(STREAM)!.buffer.size).toBe(1);
    expect(dispatcher.state(other)!.buffer.size).toBe(0);
    release();
  });
});
