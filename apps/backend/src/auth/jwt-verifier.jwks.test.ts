import { freePort, waitFor } from '@taskdash/testkit';
import { createHmac } from 'node:crypto';
import { makeSigningKey, signWith, TestJwksServer } from '../../../../test/jwks-server';
import { loadConfig } from '../config/app-config';
import { AuthException } from './auth.exception';
import { JwksKeyStore } from './jwks/jwks-key-store.service';
import { JwtVerifierService } from './jwt-verifier.service';

const ISSUER = 'https://id.example/realms/taskdash';
const AUDIENCE = 'taskdash';
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);

/** An HS256 token made by hand, so that no library refuses the odd secret. */
function hmacToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const data = `${b64({ typ: 'JWT', ...header, alg: 'HS256' })}.${b64(payload)}`;
  return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
}

async function refusal(verdict: () => unknown): Promise<AuthException> {
  try {
    await verdict();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthException);
    return error as AuthException;
  }
  throw new Error('token was accepted');
}

describe('JwtVerifierService with a JWKS', () => {
  const rsa = makeSigningKey('RS256', 'rsa-1');
  const ec = makeSigningKey('ES256', 'ec-1');
  let server: TestJwksServer;
  let verifier: JwtVerifierService;
  const claims = { sub: 'alice', iss: ISSUER, aud: AUDIENCE };

  const make = (env: Record<string, string> = {}, refreshMs?: number) => {
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_JWKS_URL: server.url,
      JWT_ALGORITHMS: 'RS256,ES256',
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_JWKS_COOLDOWN_SEC: '0',
      ...env,
    }).jwt;
    const jwks = { ...config.jwks!, ...(refreshMs ? { refreshMs } : {}) };
    const service = new JwtVerifierService(
      { ...config, jwks },
      new JwksKeyStore(jwks, config.algorithms, quiet),
    );
    service.onModuleInit();
    return service;
  };
  const ready = async (service: JwtVerifierService) =>
    waitFor(() => service.jwks!.status.state === 'ok', 5000, 'the JWKS');

  beforeEach(async () => {
    server = await TestJwksServer.start(await freePort(), 'up', [rsa.jwk, ec.jwk]);
    verifier = make();
    await ready(verifier);
  });
  afterEach(async () => {
    verifier.onApplicationShutdown();
    await server.close();
  });

  it('verifies RS256 and ES256 tokens synchronously once their keys are cached', () => {
    const byRsa = verifier.verify(signWith(rsa, { ...claims, role: 'admin' }));
    expect(byRsa).not.toBeInstanceOf(Promise);
    expect(byRsa).toMatchObject({ userId: 'alice', role: 'admin' });
    expect(verifier.verify(signWith(ec, claims))).toMatchObject({ userId: 'alice', role: 'user' });
  });

  it('accepts a token of a key published after start, without a restart, and then refuses it once the key is removed', async () => {
    const rotated = makeSigningKey('RS256', 'rsa-2');
    const token = signWith(rotated, claims);
    server.keys = [rsa.jwk, ec.jwk, rotated.jwk];
    const first = verifier.verify(token);
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toMatchObject({ userId: 'alice' });
    expect(verifier.verify(token)).toMatchObject({ userId: 'alice' });

    const refreshing = make({}, 200);
    await ready(refreshing);
    try {
      expect(refreshing.verify(token)).toMatchObject({ userId: 'alice' });
      server.keys = [ec.jwk];
      await waitFor(() => refreshing.jwks!.find('rsa-2') === undefined, 3000, 'the refresh');
      expect(await refusal(() => refreshing.verify(token))).toMatchObject({
        code: 'token_invalid',
        message: 'token is signed by an unknown key',
      });
      expect(await refusal(() => refreshing.verify(signWith(rsa, claims)))).toMatchObject({
        code: 'token_invalid',
      });
    } finally {
      refreshing.onApplicationShutdown();
    }
  });

  it('refuses an unknown kid, fetching again at most once per cooldown', async () => {
    const cooled = make({ JWT_JWKS_COOLDOWN_SEC: '60' });
    await ready(cooled);
    try {
      const before = server.requests;
      const stranger = makeSigningKey('RS256', 'stranger');
      const forged = Array.from({ length: 100 }, (_, i) =>
        signWith({ ...stranger, kid: `forged-${i}` }, claims),
      );
      for (const token of forged)
        expect((await refusal(() => cooled.verify(token))).code).toBe('token_invalid');
      // The cooldown counts from the start-up fetch: not one more request.
      expect(server.requests - before).toBe(0);
    } finally {
      cooled.onApplicationShutdown();
    }
  });

  describe('refuses the attack set', () => {
    const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const payload = () => ({ ...claims, role: 'admin', exp: nowSec() + 600 });

    it.each<[string, () => string]>([
      ['alg none', () => `${b64({ alg: 'none', typ: 'JWT', kid: 'rsa-1' })}.${b64(payload())}.`],
      ['HS256 with the PEM public key as secret', () => hmacToken({ kid: 'rsa-1' }, payload(), rsaPem)],
      ['HS256 with the JWK modulus as secret', () => hmacToken({ kid: 'rsa-1' }, payload(), rsa.jwk.n!)],
      [
        'HS256 with the JWK n.e as secret',
        () => hmacToken({ kid: 'rsa-1' }, payload(), `${rsa.jwk.n!}.${rsa.jwk.e!}`),
      ],
      [
        'HS256 with the JWK JSON as secret',
        () => hmacToken({ kid: 'rsa-1' }, payload(), JSON.stringify(rsa.jwk)),
      ],
      [
        'HS256 with the decoded modulus as secret',
        () => hmacToken({ kid: 'rsa-1' }, payload(), Buffer.from(rsa.jwk.n!, 'base64url')),
      ],
      ['RS256 signed by RSA, kid of the EC key', () => signWith({ ...rsa, kid: 'ec-1' }, payload())],
      ['ES256 signed by EC, kid of the RSA key', () => signWith({ ...ec, kid: 'rsa-1' }, payload())],
      [
        'PS256 signed by the right RSA key, PS not allowed',
        () => signWith({ ...rsa, alg: 'PS256' }, payload()),
      ],
      ['a wrong issuer', () => signWith(rsa, { ...payload(), iss: 'https://evil.example' })],
      ['a wrong audience', () => signWith(rsa, { ...payload(), aud: 'billing' })],
      [
        'no kid while the JWKS has two keys',
        () => signWith({ ...rsa, kid: undefined as unknown as string }, payload()),
      ],
      [
        'claims changed after signing',
        () => {
          const [header, , signature] = signWith(rsa, { ...payload(), role: 'user' }).split('.');
          return `${header}.${b64(payload())}.${signature}`;
        },
      ],
    ])('%s: token_invalid', async (_case, token) => {
      expect((await refusal(() => verifier.verify(token()))).code).toBe('token_invalid');
    });

    it('an expired token: token_expired', async () => {
      const expired = signWith(rsa, { ...claims, exp: nowSec() - 60 });
      expect((await refusal(() => verifier.verify(expired))).code).toBe('token_expired');
    });

    it('the refusals never echo the configured issuer or audience', async () => {
      for (const token of [signWith(rsa, { ...claims, iss: 'x' }), signWith(rsa, { ...claims, aud: 'y' })]) {
        const { message } = await refusal(() => verifier.verify(token));
        expect(message).not.toContain(ISSUER);
        expect(message).not.toMatch(new RegExp(`\\b${AUDIENCE}\\b`));
      }
    });
  });

  it('refuses tokens with auth_unavailable until the first fetch succeeds, then accepts them', async () => {
    await server.setMode('refused');
    const early = make();
    try {
      await waitFor(() => early.jwks!.status.lastError !== null, 3000, 'a failed fetch');
      const token = signWith(rsa, claims);
      expect(await refusal(() => early.verify(token))).toMatchObject({
        code: 'auth_unavailable',
        message: "the identity provider's keys could not be loaded; retry later",
      });
      await server.setMode('up');
      await waitFor(() => early.jwks!.status.state === 'ok', 10_000, 'the retry', 100);
      expect(early.verify(token)).toMatchObject({ userId: 'alice' });
    } finally {
      early.onApplicationShutdown();
    }
  });

  it('keeps accepting tokens of cached keys while the provider is down, and answers auth_unavailable for new kids', async () => {
    const refreshing = make({}, 200);
    await ready(refreshing);
    try {
      await server.setMode('refused');
      await waitFor(() => refreshing.jwks!.status.state === 'stale', 3000, 'a failed refresh');
      expect(refreshing.verify(signWith(rsa, claims))).toMatchObject({ userId: 'alice' });
      const unknown = signWith(makeSigningKey('RS256', 'new-kid'), claims);
      expect((await refusal(() => refreshing.verify(unknown))).code).toBe('auth_unavailable');
    } finally {
      refreshing.onApplicationShutdown();
    }
  });

  it('maps Keycloak realm roles through JWT_ROLE_MAP, taking the highest', async () => {
    const keycloak = make({
      JWT_ROLE_CLAIM: 'realm_access.roles',
      JWT_ROLE_MAP: 'dash-admin=admin,dash-ops=operator',
    });
    await ready(keycloak);
    try {
      const sub = 'f5b2c0de-1d2e-4c3b-9a8f-7e6d5c4b3a21';
      const token = signWith(rsa, {
        ...claims,
        sub,
        realm_access: { roles: ['offline_access', 'dash-ops', 'dash-admin'] },
      });
      expect(keycloak.verify(token)).toMatchObject({ userId: sub, role: 'admin' });
    } finally {
      keycloak.onApplicationShutdown();
    }
  });
});
