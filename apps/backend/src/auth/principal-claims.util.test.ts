import { ROLE_NAMES } from '../config/app-config.schema';
import { AuthException } from './auth.exception';
import { claimAt, roleOf, toPrincipal } from './principal-claims.util';
import { ROLES } from './principal.types';

const exp = Math.floor(Date.now() / 1000) + 600;
const defaults = { userId: 'sub', role: 'role', roleMap: undefined };

describe('claims mapping', () => {
  it('finds a namespaced claim by its whole name, and a nested one by dotted path', () => {
    const claims = {
      'https://example.com/roles': ['admin'],
      realm_access: { roles: ['x'] },
      'a.b': 1,
      a: { b: 2 },
    };
    expect(claimAt(claims, 'https://example.com/roles')).toEqual(['admin']);
    expect(claimAt(claims, 'realm_access.roles')).toEqual(['x']);
    // The whole name first: a claim literally called "a.b" wins over the path.
    expect(claimAt(claims, 'a.b')).toBe(1);
    expect(claimAt(claims, 'realm_access.roles.length')).toBeUndefined();
    expect(claimAt(claims, 'missing.path')).toBeUndefined();
    expect(claimAt({ a: { constructor: 1 } }, 'a.toString')).toBeUndefined();
  });

  it('takes the highest of several roles and ignores names that mean none', () => {
    expect(roleOf(['user', 'offline_access', 'operator'], undefined)).toBe('operator');
    expect(roleOf(['admin', 'user'], undefined)).toBe('admin');
    expect(roleOf(['offline_access'], undefined)).toBe('user');
    expect(roleOf([], undefined)).toBe('user');
    expect(roleOf(undefined, undefined)).toBe('user');
  });

  it('with a role map, counts only mapped names (an "admin" of the provider is not ours unless mapped)', () => {
    const map = { 'taskdash-admin': 'admin', ops: 'operator' } as const;
    expect(roleOf(['admin', 'ops'], map)).toBe('operator');
    expect(roleOf('taskdash-admin', map)).toBe('admin');
    expect(() => roleOf('admin', map)).toThrow(AuthException);
    expect(roleOf(['toString', 'constructor'], map)).toBe('user');
  });

  it('refuses a single role name that means nothing, and values that are not names', () => {
    for (const value of ['root', 'Admin', '', 1, { admin: true }, ['admin', 2]]) {
      expect(() => roleOf(value, undefined)).toThrow('token has an unknown role');
    }
  });

  it('reads the user id from the configured claim, which must be a valid user id', () => {
    expect(toPrincipal({ exp, oid: 'auth0|abc123' }, { ...defaults, userId: 'oid' }).userId).toBe(
      'auth0|abc123',
    );
    expect(() => toPrincipal({ exp, sub: 'alice' }, { ...defaults, userId: 'oid' })).toThrow(
      'token has no valid oid claim',
    );
    expect(() => toPrincipal({ exp, sub: 'urn:user:1' }, defaults)).toThrow('token has no valid sub claim');
  });

  it('names the same roles as the config schema', () => {
    expect([...ROLE_NAMES]).toEqual([...ROLES]);
  });
});
