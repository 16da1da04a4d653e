import { createHmac, createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { AuthException } from './auth.exception';
import { verifyHmacJwt, type HmacJwtChecks } from './hmac-jwt.util';

const SECRET = 'hmac-test-secret-0123456789abcdef-0123';
const KEY = createSecretKey(Buffer.from(SECRET));
const NOW = 2_000_000_000;
const CHECKS: HmacJwtChecks = { algorithms: ['HS256'], clockToleranceSec: 5 };

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** A token made by hand, so that any header, payload and secret can be signed. */
function token(
  payload: unknown,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
  secret = SECRET,
): string {
  const data = `${b64(header)}.${b64(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[String(header.alg)] ?? 'sha256';
  return `${data}.${createHmac(hash, secret).update(data).digest('base64url')}`;
}

type Outcome = 'ok' | 'expired' | 'invalid';

function ours(text: string, checks: HmacJwtChecks = CHECKS): Outcome {
  try {
    verifyHmacJwt(text, KEY, checks);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(AuthException);
    return (error as AuthException).code === 'token_expired' ? 'expired' : 'invalid';
  }
}

/** jsonwebtoken with the options the verifier used to give it; a non-object payload is refused as the verifier refused it. */
function reference(text: string, checks: HmacJwtChecks = CHECKS): Outcome {
  try {
    const claims = jwt.verify(text, KEY, {
      algorithms: checks.algorithms as jwt.Algorithm[],
      clockTolerance: checks.clockToleranceSec,
      ...(checks.issuer ? { issuer: checks.issuer } : {}),
      ...(checks.audience ? { audience: checks.audience } : {}),
    });
    return typeof claims === 'string' || Array.isArray(claims) ? 'invalid' : 'ok';
  } catch (error) {
    return error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid';
  }
}

describe('verifyHmacJwt', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000 + 500));
  afterEach(() => jest.restoreAllMocks());

  it('returns the claims of a token signed with the secret', () => {
    expect(verifyHmacJwt(token({ sub: 'alice', exp: NOW + 60 }), KEY, CHECKS)).toEqual({
      sub: 'alice',
      exp: NOW + 60,
    });
  });

  it.each<[string, string]>([
    ['signed with another secret', token({ sub: 'a' }, undefined, 'another-secret-0123456789abcdef-012345')],
    [
      'whose claims changed after signing',
      (() => {
        const [h, , s] = token({ sub: 'a', role: 'user' }).split('.');
        return `${h}.${b64({ sub: 'a', role: 'admin' })}.${s}`;
      })(),
    ],
    ['unsigned (alg none)', `${b64({ alg: 'none' })}.${b64({ sub: 'a' })}.`],
    ['naming alg none but signed', token({ sub: 'a' }, { alg: 'none' })],
    ['of an algorithm not allowed (HS512)', token({ sub: 'a' }, { alg: 'HS512' })],
    ['naming an asymmetric algorithm', token({ sub: 'a' }, { alg: 'RS256' })],
    ['whose signature is spelled with padding', `${token({ sub: 'a' })}=`],
    ['with a fourth segment', `${token({ sub: 'a' })}.x`],
    ['with an empty payload segment', `${b64({ alg: 'HS256' })}..abc`],
    ['whose header is not JSON', `${b64('nope')}.${b64({ sub: 'a' })}.abc`],
    ['whose payload is an array', token([1, 2])],
    ['whose payload is text', token('just text')],
    ['with a string nbf', token({ sub: 'a', nbf: String(NOW) })],
    ['with a string exp', token({ sub: 'a', exp: String(NOW + 60) })],
    ['not yet valid beyond the tolerance', token({ sub: 'a', nbf: NOW + 6 })],
  ])('refuses a token %s, as jsonwebtoken does', (_case, text) => {
    expect(ours(text)).toBe('invalid');
    expect(reference(text)).toBe('invalid');
  });

  it('refuses an expired token with token_expired, at exp + tolerance, and accepts it a second before', () => {
    expect(ours(token({ exp: NOW - 5 }))).toBe('expired');
    expect(ours(token({ exp: NOW - 4 }))).toBe('ok');
  });

  it('checks issuer and audience only when configured; aud may be a list', () => {
    const strict = { ...CHECKS, issuer: 'https://id.example', audience: 'dashboard' };
    expect(ours(token({ iss: 'https://id.example', aud: ['billing', 'dashboard'] }), strict)).toBe('ok');
    expect(ours(token({ iss: 'https://id.example', aud: 'billing' }), strict)).toBe('invalid');
    expect(ours(token({ iss: 'https://evil.example', aud: 'dashboard' }), strict)).toBe('invalid');
    expect(ours(token({ aud: 'dashboard' }), strict)).toBe('invalid');
    expect(ours(token({ iss: 'anyone', aud: 'anything' }))).toBe('ok');
  });

  it('agrees with jsonwebtoken on generated tokens: accepted, expired or refused', () => {
    const claim = fc.option(
      fc.oneof(fc.integer({ min: NOW - 7, max: NOW + 7 }), fc.constant('x'), fc.constant(null)),
      { nil: undefined },
    );
    const claims = fc.record(
      {
        sub: fc.constant('alice'),
        exp: claim,
        nbf: claim,
        iss: fc.option(fc.constantFrom('https://id.example', 'https://evil.example', 7), { nil: undefined }),
        aud: fc.option(
          fc.oneof(
            fc.constantFrom('dashboard', 'billing'),
            fc.constant(['billing', 'dashboard']),
            fc.constant([]),
          ),
          { nil: undefined },
        ),
      },
      { requiredKeys: ['sub'] },
    );
    const header = fc.record({
      alg: fc.constantFrom('HS256', 'HS384', 'HS512', 'none', 'RS256', 'hs256'),
      typ: fc.constant('JWT'),
    });
    const mangle = fc.constantFrom(
      'none',
      'flip-signature',
      'flip-payload',
      'drop-signature',
      'other-secret',
    );
    const checks = fc.record({
      algorithms: fc.constantFrom(['HS256'], ['HS256', 'HS384'], ['HS512']),
      clockToleranceSec: fc.constantFrom(0, 5),
      issuer: fc.option(fc.constant('https://id.example'), { nil: undefined }),
      audience: fc.option(fc.constant('dashboard'), { nil: undefined }),
    });
    fc.assert(
      fc.property(claims, header, mangle, checks, (payload, head, how, options) => {
        const clean: HmacJwtChecks = {
          algorithms: options.algorithms,
          clockToleranceSec: options.clockToleranceSec,
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
        };
        let text = token(
          Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined)),
          head,
          how === 'other-secret' ? `${SECRET}!` : SECRET,
        );
        const [h, p, s] = text.split('.') as [string, string, string];
        if (how === 'flip-signature') text = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
        if (how === 'flip-payload') text = `${h}.${b64({ ...payload, sub: 'mallory' })}.${s}`;
        if (how === 'drop-signature') text = `${h}.${p}.`;
        expect(ours(text, clean)).toBe(reference(text, clean));
      }),
      { numRuns: 3000 },
    );
  });
});
