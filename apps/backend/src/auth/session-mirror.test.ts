import { SessionMirror, type UserState } from './session-mirror';

const state = (over: Partial<UserState> = {}): UserState => ({
  role: null,
  disabled: false,
  sessionsValidAfter: null,
  ...over,
});

describe('SessionMirror', () => {
  it('knows nothing before its first full read, and everything after it', () => {
    const mirror = new SessionMirror(10);
    expect(mirror.lookup('ann', undefined)).toBeUndefined();
    mirror.replace(
      { users: [['bob', state({ disabled: true })]], revoked: [['t1', Date.now() + 60_000]] },
      mirror.mark(),
    );
    expect(mirror.active).toBe(true);
    expect(mirror.lookup('ann', undefined)).toEqual({ user: undefined, revoked: false });
    expect(mirror.lookup('bob', 'other')).toEqual({ user: state({ disabled: true }), revoked: false });
    expect(mirror.lookup('ann', 't1')).toEqual({ user: undefined, revoked: true });
  });

  it('sends an announced user to the database until a read that began after the announcement', () => {
    const mirror = new SessionMirror(10);
    mirror.replace({ users: [], revoked: [] }, mirror.mark());
    const before = mirror.mark();
    mirror.changed('ann');
    expect(mirror.lookup('ann', undefined)).toBeUndefined();
    // A read that began before the announcement may have missed the change.
    mirror.learn('ann', undefined, before);
    expect(mirror.lookup('ann', undefined)).toBeUndefined();
    const after = mirror.mark();
    mirror.learn('ann', state({ role: 'admin' }), after);
    expect(mirror.lookup('ann', undefined)).toEqual({ user: state({ role: 'admin' }), revoked: false });
    // Other users were never affected.
    expect(mirror.lookup('bob', undefined)).toEqual({ user: undefined, revoked: false });
  });

  it('keeps announcements a full read may have missed, and drops those it covers', () => {
    const mirror = new SessionMirror(10);
    mirror.replace({ users: [], revoked: [] }, mirror.mark());
    mirror.changed('old');
    const since = mirror.mark();
    mirror.changed('new', 'jti-new');
    mirror.replace({ users: [['old', state({ disabled: true })]], revoked: [] }, since);
    expect(mirror.lookup('old', undefined)).toEqual({ user: state({ disabled: true }), revoked: false });
    expect(mirror.lookup('new', undefined)).toBeUndefined();
    // The announced revocation holds for any user presenting that token id.
    mirror.learn('new', undefined, mirror.mark());
    expect(mirror.lookup('new', 'jti-new')).toEqual({ user: undefined, revoked: true });
    mirror.replace({ users: [], revoked: [['jti-new', Date.now() + 1000]] }, mirror.mark());
    expect(mirror.lookup('x', 'jti-new')?.revoked).toBe(true);
  });

  it('turns itself off above maxRows, and on again when the tables shrink', () => {
    const mirror = new SessionMirror(2);
    expect(
      mirror.replace(
        {
          users: [
            ['a', state()],
            ['b', state()],
          ],
          revoked: [['t', Date.now() + 1000]],
        },
        mirror.mark(),
      ),
    ).toBe(false);
    expect(mirror.active).toBe(false);
    expect(mirror.lookup('c', undefined)).toBeUndefined();
    expect(mirror.replace({ users: [['a', state()]], revoked: [] }, mirror.mark())).toBe(true);
    expect(mirror.lookup('c', undefined)).toEqual({ user: undefined, revoked: false });
  });

  it('forgets revocations that ended', () => {
    const mirror = new SessionMirror(10);
    const now = Date.now();
    mirror.replace(
      {
        users: [],
        revoked: [
          ['gone', now - 1],
          ['live', now + 60_000],
        ],
      },
      mirror.mark(),
    );
    expect(mirror.lookup('a', 'gone', now)?.revoked).toBe(false);
    mirror.prune(now);
    expect(mirror.size).toBe(1);
    expect(mirror.lookup('a', 'live', now)?.revoked).toBe(true);
  });
});
