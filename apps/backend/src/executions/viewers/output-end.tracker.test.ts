import type { EventEnvelope } from '@taskdash/contract';
import { OutputEndTracker } from './output-end.tracker';

const STREAM = 'execution:5b1e7c9a-2d4f-4e8a-9c3b-7a6f5e4d3c2b';

const output = (seq: number, offset: number, length: number): EventEnvelope =>
  ({ stream: STREAM, seq, type: 'execution.output', payload: { offset, length, fd: 'stdout', data: 'x'.repeat(length) } }) as EventEnvelope;
const other = (seq: number): EventEnvelope =>
  ({ stream: STREAM, seq, type: 'claude.parse_error', payload: { message: 'm', preview: '', line: 1, at: 0 } }) as EventEnvelope;

describe('OutputEndTracker', () => {
  it('knows the output end at every followed seq, through non-output events too', () => {
    const tracker = new OutputEndTracker();
    tracker.follow(STREAM, 10, 100);
    tracker.observe([output(11, 100, 50), other(12), output(13, 150, 25)]);
    expect([10, 11, 12, 13].map((seq) => tracker.endAt(STREAM, seq))).toEqual([100, 150, 150, 175]);
    expect(tracker.endAt(STREAM, 14)).toBeUndefined(); // not seen yet
    expect(tracker.endAt(STREAM, 9)).toBeUndefined(); // before following began
  });

  it('learns the end at the start when it was unknown, unless output said so already', () => {
    const tracker = new OutputEndTracker();
    tracker.follow(STREAM, 10);
    tracker.observe([other(11)]);
    expect(tracker.endAt(STREAM, 11)).toBeUndefined();
    tracker.learn(STREAM, 10, 400);
    expect([tracker.endAt(STREAM, 10), tracker.endAt(STREAM, 11)]).toEqual([400, 400]);
    tracker.observe([output(12, 400, 10)]);
    tracker.learn(STREAM, 10, 999); // stale answer: changes nothing known
    expect(tracker.endAt(STREAM, 12)).toBe(410);
  });

  it('ignores repeats and stops following at a gap, since what the gap held is unknown', () => {
    const tracker = new OutputEndTracker();
    tracker.follow(STREAM, 10, 100);
    tracker.observe([output(11, 100, 10), output(11, 100, 10)]);
    expect(tracker.endAt(STREAM, 11)).toBe(110);
    tracker.observe([output(13, 120, 10)]);
    expect(tracker.isFollowing(STREAM)).toBe(false);
    expect(tracker.endAt(STREAM, 11)).toBeUndefined();
  });

  it('remembers a bounded number of recent seqs', () => {
    const tracker = new OutputEndTracker();
    tracker.follow(STREAM, 0, 0);
    tracker.observe(Array.from({ length: 1000 }, (_, i) => output(i + 1, i, 1)));
    expect(tracker.endAt(STREAM, 1000)).toBe(1000);
    expect(tracker.endAt(STREAM, 900)).toBe(900);
    expect(tracker.endAt(STREAM, 10)).toBeUndefined();
  });
});
