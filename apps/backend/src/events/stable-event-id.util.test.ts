import { stableEventId } from './stable-event-id.util';

describe('stableEventId', () => {
  // Ids already stored must keep matching: a bridge resuming a batch after an upgrade looks
  // its events up by these ids. The values are what the first implementation produced.
  it.each([
    ['t-1234:executions|1700000000000-0|queue:executions', 'f714646d-247b-5211-bde5-d687a49e91b4'],
    ['x', '11f6ad8e-c52a-5984-abaa-fd7c3b516503'],
  ])('derives %s the same way in every version', (key, id) => {
    expect(stableEventId(key)).toBe(id);
  });

  it('gives different facts different uuids of version 5 layout', () => {
    const a = stableEventId('queue|1-0|queue:executions');
    const b = stableEventId('queue|1-0|task:00000000-0000-4000-8000-000000000001');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
