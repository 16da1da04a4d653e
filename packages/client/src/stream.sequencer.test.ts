import type { EventEnvelope } from '@taskdash/contract';
import { MemoryPositionStore } from './memory-position.store';
import { StreamSequencer, type SequencerOutcome } from './stream.sequencer';

const EPOCH = '00000000-0000-4000-8000-000000000001';
const OTHER_EPOCH = '00000000-0000-4000-8000-000000000002';
const S = 'task:00000000-0000-4000-8000-00000000000a';

const ev = (seq: number, epoch = EPOCH, stream = S): EventEnvelope => ({
  id: `${epoch}-${seq}`,
  stream,
  seq,
  epoch,
  type: 'task.deleted',
  occurredAt: '2026-01-01T00:00:00.000Z',
  payload: { taskId: '00000000-0000-4000-8000-00000000000b' },
});

/** Compact view of outcomes: delivered seqs as numbers, reloads as `reload:<reason>@<seq>`. */
const view = (outcomes: SequencerOutcome[]): (number | string)[] =>
  outcomes.map((o) =>
    o.kind === 'deliver' ? o.event.seq : `reload:${o.notice.reason}@${o.notice.position.seq}`,
  );

const acceptAll = (s: StreamSequencer, events: EventEnvelope[]): (number | string)[] =>
  events.flatMap((e) => view(s.accept(e)));

describe('StreamSequencer', () => {
  let store: MemoryPositionStore;
  let seq: StreamSequencer;
  beforeEach(() => {
    store = new MemoryPositionStore();
    seq = new StreamSequencer(store);
  });

  it('delivers contiguous events and records the position in the store', () => {
    expect(acceptAll(seq, [ev(1), ev(2), ev(3)])).toEqual([1, 2, 3]);
    expect(store.get(S)).toEqual({ seq: 3, epoch: EPOCH });
  });

  it('drops duplicates: seq at or below the last one of the same epoch', () => {
    expect(acceptAll(seq, [ev(1), ev(2), ev(2), ev(1), ev(3)])).toEqual([1, 2, 3]);
  });

  it('reports a gap as a reload and continues after the event', () => {
    expect(acceptAll(seq, [ev(1), ev(4), ev(5)])).toEqual([1, 'reload:gap@3', 4, 5]);
    expect(seq.position(S)).toEqual({ seq: 5, epoch: EPOCH });
  });

  it('reports an epoch change as history_reset', () => {
    expect(acceptAll(seq, [ev(7), ev(1, OTHER_EPOCH)])).toEqual([7, 'reload:history_reset@0', 1]);
  });

  it('reads a position it does not know from the store', () => {
    store.set(S, { seq: 10, epoch: EPOCH });
    expect(acceptAll(seq, [ev(10), ev(11)])).toEqual([11]);
  });

  it('holds events without a known start until the subscribe is answered', () => {
    seq.hold(S);
    expect(acceptAll(seq, [ev(6), ev(7)])).toEqual([]);
    const out = seq.settle(S, ok(5, false), undefined);
    expect(view(out)).toEqual([6, 7]);
    expect(seq.isHolding(S)).toBe(false);
  });

  it('waits for a replay that follows the acknowledgement, keeping early live events', () => {
    store.set(S, { seq: 2, epoch: EPOCH });
    seq.hold(S);
    // A live event overtakes the replay of 3..4: not a gap.
    expect(acceptAll(seq, [ev(5)])).toEqual([]);
    expect(view(seq.settle(S, ok(4, true, 2), { seq: 2, epoch: EPOCH }))).toEqual([]);
    expect(acceptAll(seq, [ev(3), ev(4), ev(5)])).toEqual([3, 4, 5]);
    expect(seq.isHolding(S)).toBe(false);
  });

  it('takes a replay that arrived before the acknowledgement', () => {
    store.set(S, { seq: 2, epoch: EPOCH });
    seq.hold(S);
    expect(acceptAll(seq, [ev(3), ev(4)])).toEqual([3, 4]);
    expect(view(seq.settle(S, ok(4, true, 2), { seq: 2, epoch: EPOCH }))).toEqual([]);
    expect(seq.isHolding(S)).toBe(false);
  });

  it('turns recovered:false with a reason into a reload from the server position', () => {
    store.set(S, { seq: 2, epoch: EPOCH });
    seq.hold(S);
    expect(acceptAll(seq, [ev(41)])).toEqual([]);
    const out = seq.settle(S, { ...ok(40, false), reason: 'history_expired' }, { seq: 2, epoch: EPOCH });
    expect(view(out)).toEqual(['reload:history_expired@40', 41]);
    expect(store.get(S)).toEqual({ seq: 41, epoch: EPOCH });
  });

  it('starts live without a reload when no position was requested', () => {
    seq.hold(S);
    expect(view(seq.settle(S, ok(9, false), undefined))).toEqual([]);
    expect(acceptAll(seq, [ev(10)])).toEqual([10]);
  });

  it('reports a promised replay that never came when it expires', () => {
    store.set(S, { seq: 2, epoch: EPOCH });
    seq.hold(S);
    seq.settle(S, ok(6, true, 4), { seq: 2, epoch: EPOCH });
    expect(acceptAll(seq, [ev(7)])).toEqual([]);
    expect(view(seq.expire(S))).toEqual(['reload:gap@6', 7]);
  });

  it('treats what it held as live events when the subscribe fails', () => {
    store.set(S, { seq: 1, epoch: EPOCH });
    seq.hold(S);
    expect(acceptAll(seq, [ev(4), ev(3)])).toEqual([]);
    expect(view(seq.release(S))).toEqual(['reload:gap@2', 3, 4]);
  });

  it('drops what it held on reset and forgets positions on forget', () => {
    seq.hold(S);
    acceptAll(seq, [ev(1)]);
    seq.reset();
    expect(seq.isHolding(S)).toBe(false);
    acceptAll(seq, [ev(1)]);
    seq.forget(S);
    expect(seq.position(S)).toBeUndefined();
    expect(store.get(S)).toBeUndefined();
  });
});

function ok(headSeq: number, recovered: boolean, replayed = 0) {
  return { stream: S, ok: true as const, position: { seq: headSeq, epoch: EPOCH }, recovered, replayed };
}
