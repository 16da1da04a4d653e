import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { loadConfig, type AppConfig } from '../config/app-config';
import { AuthException } from './auth.exception';
import { JwtVerifierService } from './jwt-verifier.service';
import type { Principal } from './principal.types';

const rsaPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const ecPair = () =>
  generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const [rsa, otherRsa, ec, otherEc] = [rsaPair(), rsaPair(), ecPair(), ecPair()];

/** What a static-key verifier is: synchronous (the handshake's fast path never waits). */
interface SyncVerifier {
  verify(token: unknown): Principal;
}

/** The verifier as the app builds it, from validated configuration. */
function verifier(env: Record<string, string>, overrides: Partial<AppConfig['jwt']> = {}): SyncVerifier {
  const service = new JwtVerifierService({ ...loadConfig({ NODE_ENV: 'test', ...env }).jwt, ...overrides });
  return {
    verify(token) {
      const principal = service.verify(token);
      if (principal instanceof Promise) throw new Error('a static key verified asynchronously');
      return principal;
    },
  };
}
const rs256 = (env: Record<string, string> = {}) =>
  verifier({ JWT_ALGORITHMS: 'RS256', JWT_PUBLIC_KEY: rsa.publicKey, ...env });
const es256 = (env: Record<string, string> = {}) =>
  verifier({ JWT_ALGORITHMS: 'ES256', JWT_PUBLIC_KEY: ec.publicKey, ...env });

const nowSec = () => Math.floor(Date.now() / 1000);
const sign = (
  claims: Record<string, unknown>,
  key: string,
  algorithm: jwt.Algorithm,
  options: jwt.SignOptions = {},
) => jwt.sign({ sub: 'alice', exp: nowSec() + 600, ...claims }, key, { algorithm, ...options });
const signRs = (claims: Record<string, unknown> = {}, options: jwt.SignOptions = {}) =>
  sign(claims, rsa.privateKey, 'RS256', options);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An HS256 token made by hand, so no library refuses to sign it with an odd key. */
function hmacToken(payload: Record<string, unknown>, key: string): string {
  const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${data}.${createHmac('sha256', key).update(data).digest('base64url')}`;
}

/** The error `verify` throws; fails the test if it accepts the token. */
function refusal(service: SyncVerifier, token: unknown): AuthException {
  try {
    service.verify(token);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthException);
    return error as AuthException;
  }
  throw new Error('token was accepted');
}

describe('JwtVerifierService', () => {
  describe('RS256', () => {
    it('accepts a token signed with the private key and returns who the caller is until when', () => {
      const jti = randomUUID();
      const exp = nowSec() + 600;
      const principal = rs256().verify(signRs({ role: 'operator', exp }, { jwtid: jti }));
      expect(principal).toMatchObject({ userId: 'alice', role: 'operator', jti, expiresAt: exp * 1000 });
    });

    it('takes a token without role for a plain user and one without jti as having no id', () => {
      expect(rs256().verify(signRs())).toMatchObject({ role: 'user', jti: undefined });
      expect(rs256().verify(signRs({ role: 'admin' }))).toMatchObject({ role: 'admin' });
    });

    it('refuses a token signed by another RSA key', () => {
      const forged = sign({ role: 'admin' }, otherRsa.privateKey, 'RS256');
      expect(refusal(rs256(), forged).code).toBe('token_invalid');
    });

    it('refuses a token whose claims were changed after signing', () => {
      const [header, , signature] = signRs({ role: 'user' }).split('.');
      const escalated = `${header}.${b64({ sub: 'alice', role: 'admin', exp: nowSec() + 600 })}.${signature}`;
      const error = refusal(rs256(), escalated);
      expect(error.code).toBe('token_invalid');
      expect(error.message).not.toContain(signature);
    });

    it('refuses an HS256 token signed with the RS public key as its secret (algorithm confusion)', () => {
      const confused = hmacToken({ sub: 'mallory', role: 'admin', exp: nowSec() + 600 }, rsa.publicKey);
      expect(refusal(rs256(), confused).code).toBe('token_invalid');
    });

    it('refuses that confused token even if the allow-list wrongly named HS256 as well', () => {
      const confused = hmacToken({ sub: 'mallory', role: 'admin', exp: nowSec() + 600 }, rsa.publicKey);
      // The config schema forbids this mix; the verifier must not depend on that alone.
      const mixed = verifier(
        { JWT_ALGORITHMS: 'RS256', JWT_PUBLIC_KEY: rsa.publicKey },
        { algorithms: ['RS256', 'HS256'] },
      );
      expect(refusal(mixed, confused).code).toBe('token_invalid');
    });

    it('refuses a correctly signed token whose algorithm is not in the allow-list', () => {
      expect(
        refusal(verifier({ JWT_ALGORITHMS: 'RS384', JWT_PUBLIC_KEY: rsa.publicKey }), signRs()).code,
      ).toBe('token_invalid');
      expect(
        verifier({ JWT_ALGORITHMS: 'RS384,RS256', JWT_PUBLIC_KEY: rsa.publicKey }).verify(signRs()).userId,
      ).toBe('alice');
    });

    it('refuses an unsigned token (alg none)', () => {
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', role: 'admin', exp: nowSec() + 600 })}.`;
      expect(refusal(rs256(), unsigned).code).toBe('token_invalid');
    });
  });

  describe('ES256', () => {
    it('accepts a token signed with the EC private key', () => {
      expect(es256().verify(sign({ role: 'admin' }, ec.privateKey, 'ES256'))).toMatchObject({
        userId: 'alice',
        role: 'admin',
      });
    });

    it('refuses a token signed by another EC key', () => {
      expect(refusal(es256(), sign({}, otherEc.privateKey, 'ES256')).code).toBe('token_invalid');
    });

    it('refuses a validly signed RS256 token when only ES256 is configured', () => {
      expect(refusal(es256(), signRs()).code).toBe('token_invalid');
    });

    it('refuses an HS256 token signed with the EC public key as its secret', () => {
      expect(refusal(es256(), hmacToken({ sub: 'mallory', exp: nowSec() + 600 }, ec.publicKey)).code).toBe(
        'token_invalid',
      );
    });
  });

  describe('issuer and audience', () => {
    const strict = () => rs256({ JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'dashboard' });

    it('accepts a token from the configured issuer for the configured audience', () => {
      expect(
        strict().verify(signRs({}, { issuer: 'https://id.example', audience: 'dashboard' })).userId,
      ).toBe('alice');
    });

    it.each([
      ['a wrong issuer', { issuer: 'https://evil.example', audience: 'dashboard' }],
      ['a wrong audience', { issuer: 'https://id.example', audience: 'billing' }],
      ['no issuer', { audience: 'dashboard' }],
      ['no audience', { issuer: 'https://id.example' }],
    ])('refuses a token with %s', (_case, options: jwt.SignOptions) => {
      expect(refusal(strict(), signRs({}, options)).code).toBe('token_invalid');
    });

    it('does not check issuer and audience when none are configured', () => {
      expect(rs256().verify(signRs({}, { issuer: 'anyone', audience: 'anything' })).userId).toBe('alice');
    });
  });

  describe('clock tolerance', () => {
    const NOW = 2_000_000_000;
    beforeEach(() => {
      jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000 + 500);
    });
    afterEach(() => {
      jest.restoreAllMocks();
    });
    const token = (claims: Record<string, unknown>) => signRs({ iat: NOW - 3600, ...claims });
    const tolerant = (seconds: number) => rs256({ JWT_CLOCK_TOLERANCE_SEC: String(seconds) });

    it('accepts a token that expired less than the tolerance ago', () => {
      expect(tolerant(5).verify(token({ exp: NOW - 4 })).expiresAt).toBe((NOW - 4) * 1000);
    });

    it('refuses with token_expired a token that expired exactly the tolerance ago, or longer', () => {
      expect(refusal(tolerant(5), token({ exp: NOW - 5 })).code).toBe('token_expired');
      expect(refusal(tolerant(5), token({ exp: NOW - 3600 })).code).toBe('token_expired');
    });

    it('with no tolerance, refuses a token at its exp second and accepts it a second before', () => {
      expect(refusal(tolerant(0), token({ exp: NOW })).code).toBe('token_expired');
      expect(tolerant(0).verify(token({ exp: NOW + 1 })).userId).toBe('alice');
    });

    it('accepts a not-yet-valid token within the tolerance and refuses it beyond', () => {
      expect(tolerant(5).verify(token({ nbf: NOW + 5 })).userId).toBe('alice');
      expect(refusal(tolerant(5), token({ nbf: NOW + 6 })).code).toBe('token_invalid');
    });
  });

  describe('claims', () => {
    it('refuses a token without exp, which would never expire', () => {
      const noExp = jwt.sign({ sub: 'alice' }, rsa.privateKey, { algorithm: 'RS256' });
      expect(refusal(rs256(), noExp)).toMatchObject({
        code: 'token_invalid',
        message: expect.stringContaining('exp'),
      });
    });

    it('refuses a token without sub', () => {
      const noSub = jwt.sign({ role: 'admin', exp: nowSec() + 600 }, rsa.privateKey, { algorithm: 'RS256' });
      expect(refusal(rs256(), noSub)).toMatchObject({
        code: 'token_invalid',
        message: expect.stringContaining('sub'),
      });
    });

    it.each<[string, unknown]>([
      ['empty', ''],
      ['with a space', 'alice smith'],
      ['with a slash', 'a/b'],
      ['with a colon, which would forge a stream name', 'user:bob'],
      ['129 characters long', 'x'.repeat(129)],
      ['a number', 42],
      ['an object', { id: 'alice' }],
    ])('refuses a sub that is %s', (_case, sub) => {
      expect(refusal(rs256(), signRs({ sub }))).toMatchObject({
        code: 'token_invalid',
        message: expect.stringContaining('sub'),
      });
    });

    it('accepts a sub of 128 characters using every allowed sign', () => {
      const sub = `a.b_c@d|e+f-9${'x'.repeat(115)}`;
      expect(sub).toHaveLength(128);
      expect(rs256().verify(signRs({ sub })).userId).toBe(sub);
    });

    it.each<[string, unknown]>([
      ['unknown', 'root'],
      ['of the wrong case', 'Admin'],
      ['empty', ''],
      ['a number', 1],
      ['a list with something other than names', ['admin', 1]],
      ['an object', { admin: true }],
    ])('refuses a role that is %s', (_case, role) => {
      expect(refusal(rs256(), signRs({ role }))).toMatchObject({
        code: 'token_invalid',
        message: expect.stringContaining('role'),
      });
    });

    it('refuses a token whose payload is not an object', () => {
      const text = jwt.sign('just text', rsa.privateKey, { algorithm: 'RS256' });
      expect(refusal(rs256(), text)).toMatchObject({
        code: 'token_invalid',
        message: 'token payload is not an object',
      });
    });
  });

  describe('what is presented', () => {
    it.each<[string, unknown]>([
      ['nothing', undefined],
      ['an empty string', ''],
      ['a number', 12345],
      ['an object', { token: 'x' }],
    ])('answers token_missing to %s', (_case, token) => {
      expect(refusal(rs256(), token).code).toBe('token_missing');
    });

    it('refuses a token over 8 kB without parsing it', () => {
      expect(refusal(rs256(), `${signRs()}${'A'.repeat(8192)}`)).toMatchObject({
        code: 'token_invalid',
        message: expect.stringContaining('too long'),
      });
    });

    it('refuses something that is not a JWT', () => {
      expect(refusal(rs256(), 'definitely-not-a-jwt').code).toBe('token_invalid');
    });
  });
});
