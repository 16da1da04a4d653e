import type { RefreshTokenAck } from '@taskdash/contract';
import { freePort, waitFor } from '@taskdash/testkit';
import { createHmac } from 'node:crypto';
import { makeSigningKey, signWith, TestJwksServer, type TestSigningKey } from '../../../../test/jwks-server';
import { connected, rejection, startTestApp, type TestApp } from '../../../../test/test-app';

const ISSUER = 'https://idp.example/realms/taskdash';
const AUDIENCE = 'taskdash-dashboard';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);

/** The app as an identity provider's relying party: keys from the test's own JWKS server. */
const providerEnv = (server: TestJwksServer, env: Record<string, string> = {}) => ({
  JWT_JWKS_URL: server.url,
  JWT_ALGORITHMS: 'RS256,ES256',
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  JWT_ROLE_CLAIM: 'realm_access.roles',
  JWT_ROLE_MAP: 'taskdash-admin=admin,taskdash-operator=operator',
  // The floods below come from one address.
  CONNECTIONS_PER_SECOND_PER_IP: '10000',
  ...env,
});

const tokenOf = (
  key: TestSigningKey,
  sub = 'c0ffee00-1111-4222-8333-444455556666',
  extra: Record<string, unknown> = {},
) =>
  signWith(key, {
    sub,
    iss: ISSUER,
    aud: AUDIENCE,
    realm_access: { roles: ['offline_access', 'taskdash-operator'] },
    ...extra,
  });

async function get(t: TestApp, path: string, token?: string) {
  const response = await fetch(`${t.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const jwksCheck = async (t: TestApp) => {
  const ready = await get(t, '/health/ready');
  return {
    status: ready.status,
    jwks: (ready.body.checks as Record<string, unknown>).jwks as Record<string, unknown>,
  };
};

describe('tokens from an identity provider (JWKS), through the real handshake and HTTP', () => {
  const rsa = makeSigningKey('RS256', 'rsa-2026-01');
  const ec = makeSigningKey('ES256', 'ec-2026-01');

  describe('with the provider up', () => {
    let server: TestJwksServer;
    let t: TestApp;
    beforeAll(async () => {
      server = await TestJwksServer.start(await freePort(), 'up', [rsa.jwk, ec.jwk]);
      t = await startTestApp({
        env: providerEnv(server, { JWT_JWKS_REFRESH_SEC: '1', JWT_JWKS_COOLDOWN_SEC: '0' }),
      });
      await waitFor(async () => (await jwksCheck(t)).status === 200, 10_000, 'readiness');
    });
    afterAll(async () => {
      await t.close();
      await server.close();
    });

    it('admits a socket and an HTTP request with provider tokens, the role mapped from the realm roles', async () => {
      const socket = t.connect(tokenOf(rsa));
      await connected(socket);
      socket.disconnect();
      await connected(t.connect(tokenOf(ec)));
      const answer = await get(t, '/tasks', tokenOf(rsa));
      expect(answer.status).toBe(200);
      // Enabling a user is for admins: the realm role taskdash-admin maps to admin, operator does not suffice.
      const enable = async (token: string) =>
        (
          await fetch(`${t.url}/users/bob/enable`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
          })
        ).status;
      expect(await enable(tokenOf(rsa))).toBe(403);
      const admin = tokenOf(rsa, 'ad000000-1111-4222-8333-444455556666', {
        realm_access: { roles: ['taskdash-operator', 'taskdash-admin'] },
      });
      expect(await enable(admin)).toBe(204);
      expect(await jwksCheck(t)).toMatchObject({
        status: 200,
        jwks: { ok: true, state: 'ok', keyCount: 2, lastError: null },
      });
      // The provider issues the tokens: no development minting beside it.
      expect((await fetch(`${t.url}/dev/token`, { method: 'POST' })).status).toBe(404);
    });

    it('accepts a key added to the JWKS without a restart, and refuses a removed one after the refresh', async () => {
      const next = makeSigningKey('RS256', 'rsa-2026-02');
      server.keys = [rsa.jwk, ec.jwk, next.jwk];
      await connected(t.connect(tokenOf(next)));
      expect((await get(t, '/tasks', tokenOf(next))).status).toBe(200);

      server.keys = [next.jwk, ec.jwk];
      const old = tokenOf(rsa);
      await waitFor(
        async () => (await get(t, '/tasks', old)).status === 401,
        5000,
        'the old key to be dropped',
        100,
      );
      expect(await rejection(t.connect(old))).toEqual({
        code: 'token_invalid',
        message: 'token is signed by an unknown key',
      });
      await connected(t.connect(tokenOf(next)));
      server.keys = [rsa.jwk, ec.jwk];
    });

    it('refreshes a socket with a token of a key rotated in meanwhile, and refuses one of an unknown key', async () => {
      const sub = 'c0ffee00-1111-4222-8333-777788889999';
      const socket = t.connect(tokenOf(rsa, sub));
      await connected(socket);
      const refresh = (token: string) =>
        new Promise<RefreshTokenAck>((resolve) => socket.emit('refresh_token', { token }, resolve));
      const rotated = makeSigningKey('ES256', 'ec-2026-02');
      server.keys = [rsa.jwk, ec.jwk, rotated.jwk];
      expect(await refresh(tokenOf(rotated, sub))).toEqual({ ok: true, expiresAt: expect.any(Number) });
      expect(await refresh(tokenOf({ ...rotated, kid: 'nobody' }, sub))).toEqual({
        ok: false,
        error: { code: 'token_invalid', message: 'token is signed by an unknown key' },
      });
      expect(socket.connected).toBe(true);
      socket.disconnect();
      server.keys = [rsa.jwk, ec.jwk];
    });

    it('refuses the attack set at the handshake and over HTTP', async () => {
      const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const claims = {
        sub: 'mallory',
        iss: ISSUER,
        aud: AUDIENCE,
        exp: nowSec() + 600,
        realm_access: { roles: ['taskdash-admin'] },
      };
      const hmac = (secret: string) => {
        const data = `${b64({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${b64(claims)}`;
        return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
      };
      const attacks: Array<[string, string, string]> = [
        ['alg none', `${b64({ alg: 'none', kid: rsa.kid })}.${b64(claims)}.`, 'token_invalid'],
        ['HS256 keyed with the PEM', hmac(pem), 'token_invalid'],
        ['HS256 keyed with n', hmac(rsa.jwk.n!), 'token_invalid'],
        ['RS256 naming the EC key', signWith({ ...rsa, kid: ec.kid }, claims), 'token_invalid'],
        ['expired', tokenOf(rsa, 'mallory', { exp: nowSec() - 60 }), 'token_expired'],
        ['wrong issuer', tokenOf(rsa, 'mallory', { iss: 'https://evil.example' }), 'token_invalid'],
        ['wrong audience', tokenOf(rsa, 'mallory', { aud: 'another-app' }), 'token_invalid'],
        ['a made-up kid', tokenOf({ ...makeSigningKey('RS256'), kid: 'made-up' }), 'token_invalid'],
      ];
      for (const [name, token, code] of attacks) {
        expect({ name, handshake: (await rejection(t.connect(token))).code }).toEqual({
          name,
          handshake: code,
        });
        const http = await get(t, '/tasks', token);
        expect({ name, status: http.status, code: http.body.code }).toEqual({ name, status: 401, code });
      }
    });

    it('keeps the cached keys through an outage: tokens verify, readiness stays 200 and reports it stale, and the log says so', async () => {
      await server.setMode('refused');
      try {
        await waitFor(async () => (await jwksCheck(t)).jwks.state === 'stale', 5000, 'a failed refresh', 100);
        expect(await jwksCheck(t)).toMatchObject({
          status: 200,
          jwks: {
            ok: true,
            state: 'stale',
            keyCount: 2,
            lastError: 'ECONNREFUSED',
            lastSuccessAt: expect.any(String),
          },
        });
        await connected(t.connect(tokenOf(rsa)));
        expect((await get(t, '/tasks', tokenOf(ec))).status).toBe(200);
        expect(
          t.logs.some((line) =>
            line.includes('JWKS refresh failed: the keys of the last good fetch stay in use'),
          ),
        ).toBe(true);
      } finally {
        await server.setMode('up');
      }
      await waitFor(async () => (await jwksCheck(t)).jwks.state === 'ok', 10_000, 'recovery', 100);
    });
  });

  it('starts with the provider down: not ready, tokens refused with auth_unavailable, then serves once the keys arrive', async () => {
    const server = await TestJwksServer.start(await freePort(), 'refused', [rsa.jwk]);
    const t = await startTestApp({ env: providerEnv(server) });
    try {
      await waitFor(
        async () => (await jwksCheck(t)).jwks.lastError !== null,
        5000,
        'a failed first fetch',
        100,
      );
      expect(await jwksCheck(t)).toEqual({
        status: 503,
        jwks: {
          ok: false,
          state: 'starting',
          keyCount: 0,
          lastSuccessAt: null,
          lastError: 'ECONNREFUSED',
          error: 'no keys loaded yet: ECONNREFUSED',
        },
      });
      expect(await rejection(t.connect(tokenOf(rsa)))).toEqual({
        code: 'auth_unavailable',
        message: "the identity provider's keys could not be loaded; retry later",
      });
      const http = await get(t, '/tasks', tokenOf(rsa));
      expect(http).toMatchObject({
        status: 503,
        retryAfter: expect.any(String),
        body: { code: 'auth_unavailable' },
      });
      expect(
        t.logs.some((line) => line.includes('JWKS could not be loaded') && line.includes('ECONNREFUSED')),
      ).toBe(true);

      await server.setMode('up');
      await waitFor(async () => (await jwksCheck(t)).status === 200, 15_000, 'the keys to arrive', 200);
      await connected(t.connect(tokenOf(rsa)));
    } finally {
      await t.close();
      await server.close();
    }
  });

  it('fetches again for unknown kids at most once per cooldown, however many handshakes name them', async () => {
    const server = await TestJwksServer.start(await freePort(), 'up', [rsa.jwk]);
    const t = await startTestApp({
      env: providerEnv(server, { JWT_JWKS_COOLDOWN_SEC: '1', JWT_JWKS_REFRESH_SEC: '3600' }),
    });
    try {
      await waitFor(async () => (await jwksCheck(t)).status === 200, 10_000, 'readiness');
      const before = server.requests;
      const started = performance.now();
      const forger = makeSigningKey('RS256');
      let refused = 0;
      // About 2.5 s of forged kids, 20 handshakes at a time.
      while (performance.now() - started < 2500) {
        const batch = Array.from({ length: 20 }, (_, i) =>
          rejection(t.connect(tokenOf({ ...forger, kid: `forged-${refused + i}` }))),
        );
        for (const answer of await Promise.all(batch)) if (answer.code === 'token_invalid') refused += 1;
      }
      const elapsedSec = (performance.now() - started) / 1000;
      const fetched = server.requests - before;
      expect(refused).toBeGreaterThan(40);
      // One fetch per second of flood at most (plus one at either edge), and at least one: it does refetch.
      expect(fetched).toBeGreaterThanOrEqual(1);
      expect(fetched).toBeLessThanOrEqual(Math.ceil(elapsedSec) + 1);
    } finally {
      await t.close();
      await server.close();
    }
  });
});
