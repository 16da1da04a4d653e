import { advance } from './stream-cursor.util';

const entries = (...ids: string[]) => ids.map((id): [string, string[]] => [id, []]);

describe('advance', () => {
  it('continues the ordinals of a cursor that missed nothing', () => {
    // Stream holds ordinals 3..7; the cursor sits on ordinal 4 and reads 5..7.
    expect(advance({ id: '4-0', ordinal: 4 }, { entries: entries('5-0', '6-0', '7-0'), firstOrdinal: 3 })).toEqual({
      gap: false,
      next: { id: '7-0', ordinal: 7 },
    });
  });

  it('reports a gap when the entry right after the cursor was trimmed, and restarts at the first entry', () => {
    // The cursor is on ordinal 4, the stream now starts at ordinal 6: ordinal 5 is gone.
    expect(advance({ id: '4-0', ordinal: 4 }, { entries: entries('9-0', '10-0'), firstOrdinal: 6 })).toEqual({
      gap: true,
      next: { id: '10-0', ordinal: 7 },
    });
  });

  it('is no gap when the stream was trimmed exactly up to the cursor', () => {
    expect(advance({ id: '4-0', ordinal: 4 }, { entries: entries('5-0'), firstOrdinal: 5 }).gap).toBe(false);
  });

  it('reports a gap when everything after the cursor was trimmed, keeping the id and moving the ordinal', () => {
    expect(advance({ id: '4-0', ordinal: 4 }, { entries: [], firstOrdinal: 9 })).toEqual({ gap: true, next: { id: '4-0', ordinal: 8 } });
  });

  it('numbers from the first entry on the very first read, which is never a gap', () => {
    expect(advance({ id: '0-0', ordinal: undefined }, { entries: entries('5-0', '6-0'), firstOrdinal: 40 })).toEqual({
      gap: false,
      next: { id: '6-0', ordinal: 41 },
    });
  });

  it('detects nothing without ordinals (Redis before 7)', () => {
    expect(advance({ id: '4-0', ordinal: undefined }, { entries: entries('9-0') })).toEqual({ gap: false, next: { id: '9-0', ordinal: undefined } });
  });
});
