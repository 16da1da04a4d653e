import { advance } from './stream-cursor.util';

/** A read that went through `ids` (all kept). */
const entries = (...ids: string[]) => ({ entries: ids.map((id): [string, string[]] => [id, []]), scanned: ids.length, ...(ids.length ? { lastId: ids.at(-1)! } : {}) });

describe('advance', () => {
  it('continues the ordinals of a cursor that missed nothing', () => {
    // Stream holds ordinals 3..7; the cursor sits on ordinal 4 and reads 5..7.
    expect(advance({ id: '4-0', ordinal: 4 }, { ...entries('5-0', '6-0', '7-0'), firstOrdinal: 3 })).toEqual({
      gap: false,
      next: { id: '7-0', ordinal: 7 },
    });
  });

  it('reports a gap when the entry right after the cursor was trimmed, and restarts at the first entry', () => {
    // The cursor is on ordinal 4, the stream now starts at ordinal 6: ordinal 5 is gone.
    expect(advance({ id: '4-0', ordinal: 4 }, { ...entries('9-0', '10-0'), firstOrdinal: 6 })).toEqual({
      gap: true,
      next: { id: '10-0', ordinal: 7 },
    });
  });

  it('is no gap when the stream was trimmed exactly up to the cursor', () => {
    expect(advance({ id: '4-0', ordinal: 4 }, { ...entries('5-0'), firstOrdinal: 5 }).gap).toBe(false);
  });

  it('reports a gap when everything after the cursor was trimmed, keeping the id and moving the ordinal', () => {
    expect(advance({ id: '4-0', ordinal: 4 }, { ...entries(), firstOrdinal: 9 })).toEqual({ gap: true, next: { id: '4-0', ordinal: 8 } });
  });

  it('numbers from the first entry on the very first read, which is never a gap', () => {
    expect(advance({ id: '0-0', ordinal: undefined }, { ...entries('5-0', '6-0'), firstOrdinal: 40 })).toEqual({
      gap: false,
      next: { id: '6-0', ordinal: 41 },
    });
  });

  it('counts the progress entries a read went through but left out', () => {
    const read = { entries: [['9-0', []] as [string, string[]]], scanned: 4, lastId: '12-0', firstOrdinal: 1 };
    expect(advance({ id: '8-0', ordinal: 8 }, read)).toEqual({ gap: false, next: { id: '12-0', ordinal: 12 } });
  });

  it('detects nothing without ordinals (Redis before 7)', () => {
    expect(advance({ id: '4-0', ordinal: undefined }, entries('9-0'))).toEqual({ gap: false, next: { id: '9-0', ordinal: undefined } });
  });
});
