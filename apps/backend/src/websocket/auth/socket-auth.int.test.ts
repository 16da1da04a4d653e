import jwt from 'jsonwebtoken';
import { connected, rejection, startTestApp, type TestApp } from '../../../../../test/test-app';
import { TEST_JWT_SECRET } from '../../../../../test/test-env';

describe('socket handshake authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_ISSUER: 'taskdash-tests', JWT_AUDIENCE: 'dashboard' } });
  });
  afterAll(() => t.close());

  const sign = (claims: Record<string, unknown>, options: jwt.SignOptions = {}, withExp = true) =>
    jwt.sign({ role: 'user', ...claims }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      subject: 'alice',
      issuer: 'taskdash-tests',
      audience: 'dashboard',
      ...(withExp && claims.exp === undefined ? { expiresIn: 600 } : {}),
      ...options,
    });

  it('accepts a valid token in auth.token', async () => {
    await connected(t.connect(t.token('alice')));
  });

  it('refuses a handshake without a token with token_missing', async () => {
    expect(await rejection(t.connect(undefined))).toMatchObject({ code: 'token_missing' });
  });

  it('refuses a bad signature with token_invalid', async () => {
    const forged = jwt.sign({ role: 'admin' }, 'another-secret-that-is-long-enough-000000', {
      subject: 'alice',
      issuer: 'taskdash-tests',
      audience: 'dashboard',
      expiresIn: 600,
    });
    expect(await rejection(t.connect(forged))).toMatchObject({ code: 'token_invalid' });
  });

  it('refuses alg none with token_invalid', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: 'alice', role: 'admin', iss: 'taskdash-tests', aud: 'dashboard', exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url');
    expect(await rejection(t.connect(`${header}.${body}.`))).toMatchObject({ code: 'token_invalid' });
  });

  it('refuses an expired token with token_expired', async () => {
    const expired = sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    expect(await rejection(t.connect(expired))).toMatchObject({ code: 'token_expired' });
  });

  it('refuses a token without exp with token_invalid', async () => {
    const noExp = sign({}, {}, false);
    expect(await rejection(t.connect(noExp))).toMatchObject({ code: 'token_invalid', message: expect.stringContaining('exp') });
  });

  it('refuses a wrong audience and a wrong issuer with token_invalid', async () => {
    expect(await rejection(t.connect(sign({}, { audience: 'someone-else' })))).toMatchObject({ code: 'token_invalid' });
    expect(await rejection(t.connect(sign({}, { issuer: 'evil' })))).toMatchObject({ code: 'token_invalid' });
  });

  it('refuses a token in the query string with token_in_query, even with a valid auth.token', async () => {
    const token = t.token('alice');
    expect(await rejection(t.connect(undefined, { query: { token } }))).toMatchObject({ code: 'token_in_query' });
    expect(await rejection(t.connect(token, { query: { access_token: token } }))).toMatchObject({ code: 'token_in_query' });
  });

  it('refuses a disallowed Origin on a WebSocket upgrade with origin_not_allowed', async () => {
    const token = t.token('alice');
    const evil = t.connect(token, { extraHeaders: { origin: 'http://evil.example' } });
    expect(await rejection(evil)).toMatchObject({ code: 'origin_not_allowed' });
    await connected(t.connect(token, { extraHeaders: { origin: 'http://allowed.example' } }));
  });

  it('never writes a token into the logs', async () => {
    const token = t.token('alice');
    await rejection(t.connect(undefined, { query: { token } }));
    await connected(t.connect(token));
    const [, , signature] = token.split('.');
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join('\n')).not.toContain(signature);
  });
});
