import { freePort, waitFor } from '@taskdash/testkit';
import { generateKeyPairSync } from 'node:crypto';
import { makeSigningKey, TestJwksServer } from '../../../../../test/jwks-server';
import type { JwksConfig } from '../../config/app-config';
import { JwksKeyStore, type JwksLogger } from './jwks-key-store.service';

/** Collects what the store logs, by level. */
function recorder(): JwksLogger & { lines: Array<{ level: string; entry: Record<string, unknown> }> } {
  const lines: Array<{ level: string; entry: Record<string, unknown> }> = [];
  const at = (level: string) => (entry: unknown) =>
    void lines.push({ level, entry: entry as Record<string, unknown> });
  return { lines, log: at('log'), warn: at('warn'), error: at('error') };
}

describe('JwksKeyStore', () => {
  const rsa = makeSigningKey('RS256', 'rsa-1');
  const ec = makeSigningKey('ES256', 'ec-1');
  let server: TestJwksServer;
  const stores: JwksKeyStore[] = [];

  const store = (overrides: Partial<JwksConfig> = {}, logger = recorder()) => {
    const config: JwksConfig = {
      url: server.url,
      refreshMs: 60_000,
      cooldownMs: 60_000,
      timeoutMs: 2000,
      ...overrides,
    };
    const created = new JwksKeyStore(config, ['RS256', 'PS256', 'ES256'], logger);
    stores.push(created);
    return { store: created, logger };
  };
  const started = async (overrides: Partial<JwksConfig> = {}) => {
    const made = store(overrides);
    made.store.start();
    await waitFor(
      () => made.store.status.state !== 'starting' || made.store.status.lastError !== null,
      5000,
      'first fetch',
    );
    return made;
  };

  beforeEach(async () => {
    server = await TestJwksServer.start(await freePort(), 'up', [rsa.jwk, ec.jwk]);
  });
  afterEach(async () => {
    stores.splice(0).forEach((s) => s.stop());
    await server.close();
  });

  it('loads the keys at start, by kid, each with the algorithms of its type only', async () => {
    const { store: keys, logger } = await started();
    expect(keys.status).toMatchObject({
      state: 'ok',
      keyCount: 2,
      lastError: null,
      lastSuccessAt: expect.any(String),
    });
    expect(keys.find('rsa-1')?.algorithms).toEqual(['RS256']);
    expect(keys.find('ec-1')?.algorithms).toEqual(['ES256']);
    expect(keys.find('other')).toBeUndefined();
    // Two keys: a token without kid names none of them.
    expect(keys.find(undefined)).toBeUndefined();
    expect(logger.lines).toContainEqual({
      level: 'log',
      entry: expect.objectContaining({ msg: 'JWKS loaded', kids: ['rsa-1', 'ec-1'] }),
    });
  });

  it('leaves out keys that are not public signature keys fit for the allow-list, and says why', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const p384 = makeSigningKey('ES384', 'ec-384');
    const priv = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'private' };
    server.keys = [
      rsa.jwk,
      { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', kid: 'hmac' },
      { ...small, kid: 'small' },
      p384.jwk,
      priv,
      { ...ec.jwk, use: 'enc', kid: 'enc' },
      { ...ec.jwk, alg: 'RS256', kid: 'lying' },
      { ...rsa.jwk, alg: undefined, kid: 'no-alg' },
    ];
    const { store: keys, logger } = await started();
    expect(keys.status.keyCount).toBe(2);
    expect(keys.find('no-alg')?.algorithms).toEqual(['RS256', 'PS256']);
    for (const kid of ['hmac', 'small', 'ec-384', 'private', 'enc', 'lying'])
      expect(keys.find(kid)).toBeUndefined();
    const skipped = logger.lines.find((line) => line.entry.msg === 'JWKS loaded')?.entry.skipped as string[];
    expect(skipped).toHaveLength(6);
    expect(skipped.join('\n')).toMatch(/hmac.*no allowed algorithm/);
    expect(skipped.join('\n')).toMatch(/small.*1024-bit RSA is too short/);
    expect(skipped.join('\n')).toMatch(/private.*private key/);
  });

  it('refetches for an unknown kid at most once per cooldown, however many tokens ask', async () => {
    const { store: keys } = await started({ cooldownMs: 1000 });
    expect(server.requests).toBe(1);
    // Right after a fetch, within the cooldown: no request.
    await Promise.all(Array.from({ length: 50 }, () => keys.refreshForUnknownKid()));
    expect(server.requests).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // A flood of made-up kids after the cooldown: one request, shared by all.
    await Promise.all(Array.from({ length: 200 }, () => keys.refreshForUnknownKid()));
    expect(server.requests).toBe(2);
    await Promise.all(Array.from({ length: 200 }, () => keys.refreshForUnknownKid()));
    expect(server.requests).toBe(2);
  });

  it('finds a key added to the JWKS once a token names it (after the cooldown)', async () => {
    const { store: keys } = await started({ cooldownMs: 0 });
    const next = makeSigningKey('RS256', 'rsa-2');
    server.keys = [rsa.jwk, ec.jwk, next.jwk];
    expect(keys.find('rsa-2')).toBeUndefined();
    await keys.refreshForUnknownKid();
    expect(keys.find('rsa-2')?.kid).toBe('rsa-2');
  });

  it('drops a key removed from the JWKS at the next scheduled refresh', async () => {
    const { store: keys } = await started({ refreshMs: 200 });
    server.keys = [ec.jwk];
    await waitFor(() => keys.find('rsa-1') === undefined, 3000, 'the scheduled refresh');
    expect(keys.find('ec-1')).toBeDefined();
    // With one key left, a token without kid names it.
    expect(keys.find(undefined)?.kid).toBe('ec-1');
  });

  it('starts without the provider, says so, and retries with backoff until the keys arrive', async () => {
    await server.setMode('refused');
    const { store: keys, logger } = store({ refreshMs: 60_000 });
    keys.start();
    await waitFor(() => keys.status.lastError !== null, 3000, 'a failed first fetch');
    expect(keys.status).toEqual({
      state: 'starting',
      keyCount: 0,
      lastSuccessAt: null,
      lastError: 'ECONNREFUSED',
    });
    expect(keys.unreachable).toBe(true);
    expect(logger.lines).toContainEqual({
      level: 'error',
      entry: expect.objectContaining({
        msg: expect.stringContaining('auth_unavailable'),
        reason: 'ECONNREFUSED',
        attempt: 1,
      }),
    });
    await server.setMode('error');
    await waitFor(
      () => logger.lines.some((line) => line.entry.reason === 'HTTP 503'),
      5000,
      'a retry answered 503',
    );
    await server.setMode('up');
    // Retries at about 1 s, 2 s, 4 s: well within 10 s.
    await waitFor(() => keys.status.state === 'ok', 10_000, 'the keys', 100);
    expect(keys.find('rsa-1')).toBeDefined();
    expect(logger.lines.at(-1)).toEqual({
      level: 'log',
      entry: expect.objectContaining({ msg: 'JWKS loaded again; its keys are in use' }),
    });
  });

  it('keeps the last good keys through a later outage, reports it stale, and recovers', async () => {
    const { store: keys, logger } = await started({ refreshMs: 200 });
    const firstSuccess = keys.status.lastSuccessAt;
    await server.setMode('refused');
    await waitFor(() => keys.status.state === 'stale', 3000, 'a failed refresh');
    expect(keys.status).toEqual({
      state: 'stale',
      keyCount: 2,
      lastSuccessAt: firstSuccess,
      lastError: 'ECONNREFUSED',
    });
    expect(keys.find('rsa-1')).toBeDefined();
    expect(logger.lines).toContainEqual({
      level: 'warn',
      entry: expect.objectContaining({
        msg: expect.stringContaining('last good fetch stay in use'),
        keyCount: 2,
      }),
    });
    await server.setMode('up');
    await waitFor(() => keys.status.state === 'ok', 5000, 'recovery', 50);
    expect(keys.status.lastError).toBeNull();
  });

  it('treats an answer without usable keys as a failure and keeps the keys it has', async () => {
    const { store: keys } = await started({ refreshMs: 200 });
    server.keys = [];
    await waitFor(() => keys.status.state === 'stale', 3000, 'a refresh without keys');
    expect(keys.status.lastError).toBe('no usable key in the set');
    expect(keys.find('rsa-1')).toBeDefined();
  });

  it('stops refreshing once stopped', async () => {
    const { store: keys } = await started({ refreshMs: 100 });
    keys.stop();
    const before = server.requests;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.requests).toBe(before);
  });
});
