import { isOriginAllowed } from './origin.util';

describe('isOriginAllowed', () => {
  const allowed = ['http://allowed.example'];

  it('allows listed origins, any origin with *, and clients that send none', () => {
    expect(isOriginAllowed('http://allowed.example', allowed)).toBe(true);
    expect(isOriginAllowed('http://other.example', ['*'])).toBe(true);
    expect(isOriginAllowed(undefined, allowed)).toBe(true);
  });

  it('allows a page served by this backend itself (same host and port)', () => {
    expect(isOriginAllowed('http://127.0.0.1:3000', allowed, '127.0.0.1:3000')).toBe(true);
    expect(isOriginAllowed('https://dash.example', allowed, 'DASH.example')).toBe(true);
  });

  it('refuses other sites, other ports and non-web schemes', () => {
    expect(isOriginAllowed('http://evil.example', allowed, '127.0.0.1:3000')).toBe(false);
    expect(isOriginAllowed('http://127.0.0.1:3001', allowed, '127.0.0.1:3000')).toBe(false);
    expect(isOriginAllowed('file://127.0.0.1:3000', allowed, '127.0.0.1:3000')).toBe(false);
    expect(isOriginAllowed('null', allowed, 'null')).toBe(false);
    expect(isOriginAllowed('http://evil.example', allowed)).toBe(false);
  });
});
