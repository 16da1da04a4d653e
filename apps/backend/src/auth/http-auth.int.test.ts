import { startTestApp, type TestApp } from '../../../../test/test-app';
import { signToken } from './token-signer';

const ISSUER = 'https://idp.internal.example/realms/secret-realm';
const AUDIENCE = 'taskdash-internal-audience';

/** The HTTP edge's own answers: a strict Authorization header and errors that leak no configuration. */
describe('HTTP authentication answers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
  });
  afterAll(() => t.close());

  const get = async (path: string, authorization?: string) => {
    const response = await fetch(`${t.url}${path}`, { headers: authorization ? { authorization } : {} });
    return { status: response.status, body: (await response.json()) as { code: string; message: string } };
  };

  it('accepts exactly "Bearer <token>" (scheme in any case) and refuses anything around it', async () => {
    const token = t.token('strict');
    expect((await get('/tasks', `Bearer ${token}`)).status).toBe(200);
    expect((await get('/tasks', `bearer ${token}`)).status).toBe(200);
    for (const header of [`Bearer ${token} extra`, `Bearer  ${token}`, `Bearer ${token},Bearer ${token}`, `Basic ${token}`, `Bearer`, `${token}`]) {
      expect({ header: header.slice(0, 30), answer: await get('/tasks', header) }).toEqual({
        header: header.slice(0, 30),
        answer: { status: 401, body: { code: 'token_invalid', message: 'Authorization header must be "Bearer <token>"' } },
      });
    }
  });

  it('a token for another issuer or audience is refused without naming the configured ones', async () => {
    const config = t.runtime.config.jwt;
    for (const other of [{ ...config, issuer: 'https://evil.example' }, { ...config, audience: 'someone-else' }]) {
      const answer = await get('/tasks', `Bearer ${signToken(other, { sub: 'x' })}`);
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('token_invalid');
      expect(answer.body.message).not.toContain(ISSUER);
      expect(answer.body.message).not.toContain(AUDIENCE);
      expect(answer.body.message).not.toContain('expected');
    }
  });

  it('labels a query-string error as query, not body', async () => {
    const answer = await get('/tasks?limit=lots', `Bearer ${t.token('q')}`);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^query\.limit: /);
  });
});
