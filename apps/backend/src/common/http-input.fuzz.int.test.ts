import { randomUUID } from 'node:crypto';
import type { TaskView } from '@taskdash/contract';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { findUnstorableText } from './unstorable-text.util';

/** Text PostgreSQL cannot store: each must get `400 invalid_request`, wherever it is sent. */
const UNSTORABLE = ['\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\udfff\ud800', '😀\ud83d'];
/** Other hostile input: each may be refused (4xx) or accepted, never a 5xx. */
const HOSTILE: unknown[] = [
  '',
  ' ',
  'x'.repeat(300_000),
  "'; DROP TABLE tasks; --",
  '%00',
  '\u202e\u0301😀',
  '../../etc/passwd',
  123,
  -1,
  1e308,
  true,
  null,
  {},
  [],
  ['\u0000'],
  { nested: '\u0000' },
];

/**
 * Percent-encodes every UTF-16 code unit sequence, lone surrogates included (as the three
 * bytes WTF-8 gives them), which `encodeURIComponent` refuses to do: what a hostile client sends.
 */
function wtf8(text: string): string {
  let out = '';
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    const bytes =
      cp < 0x80
        ? [cp]
        : cp < 0x800
          ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
          : cp < 0x10000
            ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
            : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    out += bytes.map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
  return out;
}

interface Route {
  method: string;
  path: (ids: Ids) => string;
  /** A valid body; the fuzzer replaces one field at a time. */
  body?: Record<string, unknown>;
  /** Query parameters to fuzz (appended to the path). */
  query?: string[];
  role?: 'user' | 'operator' | 'admin';
}

interface Ids {
  taskId: string;
  executionId: string;
}

const ROUTES: Route[] = [
  { method: 'POST', path: () => '/tasks', body: { title: 'fuzz', description: 'd', members: ['m1'] } },
  { method: 'GET', path: () => '/tasks', query: ['limit'] },
  { method: 'PATCH', path: (i) => `/tasks/${i.taskId}`, body: { title: 't', description: 'd' } },
  { method: 'PUT', path: (i) => `/tasks/${i.taskId}/status`, body: { status: 'done' } },
  { method: 'POST', path: (i) => `/tasks/${i.taskId}/members`, body: { userId: 'someone' } },
  { method: 'POST', path: (i) => `/tasks/${i.taskId}/executions`, body: { profile: 'nope', prompt: 'p' } },
  { method: 'GET', path: (i) => `/executions/${i.executionId}/output`, query: ['from', 'to', 'tail'] },
  { method: 'GET', path: (i) => `/executions/${i.executionId}/events`, query: ['after', 'upTo', 'limit', 'output'] },
  { method: 'PUT', path: () => '/users/fuzzed/role', body: { role: 'operator' }, role: 'admin' },
  { method: 'POST', path: () => '/tokens/revoke', body: { userId: 'fuzzed', jti: 'j', expiresAt: '2030-01-01T00:00:00Z' }, role: 'admin' },
  { method: 'GET', path: () => '/alerts', query: ['acknowledged'], role: 'operator' },
  { method: 'POST', path: () => '/dev/token', body: { sub: 'fuzzed', role: 'user', ttlSec: 60 } },
];

/** Path parameters, fuzzed through the URL. */
const PATHS: ((bad: string) => string)[] = [
  (bad) => `/tasks/${bad}`,
  (bad) => `/tasks/${randomUUID()}/members/${bad}`,
  (bad) => `/users/${bad}/disable`,
  (bad) => `/alerts/${bad}/ack`,
  (bad) => `/executions/${bad}`,
];

/**
 * Every route's string fields, body, query and path, with text the database cannot store
 * and other hostile values: never a 5xx, NUL and unpaired surrogates always 400 with the
 * field named, and the server keeps serving everyone else.
 */
describe('HTTP input fuzz', () => {
  let t: TestApp;
  let ids: Ids;
  const owner = 'fuzz-owner';

  beforeAll(async () => {
    t = await startTestApp();
    const task = (await t.http('POST', '/tasks', owner, { title: 'target' })).body as TaskView;
    ids = { taskId: task.id, executionId: randomUUID() };
  });
  afterAll(() => t.close());

  const send = (route: Route, path: string, body?: unknown) => t.http(route.method, path, owner, body, route.role ?? 'admin');

  it('unstorable text in any body field or query parameter: 400 invalid_request naming the field', async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      for (const bad of UNSTORABLE) {
        for (const field of Object.keys(route.body ?? {})) {
          const value = Array.isArray(route.body![field]) ? [bad] : bad;
          const answer = await send(route, route.path(ids), { ...route.body, [field]: value });
          const body = answer.body as { code?: string; message?: string };
          if (answer.status !== 400 || body.code !== 'invalid_request' || !body.message?.includes(`body.${field}`)) {
            failures.push(`${route.method} ${route.path(ids)} body.${field}=${JSON.stringify(bad)}: ${answer.status} ${JSON.stringify(body)}`);
          }
        }
        for (const param of route.query ?? []) {
          const answer = await send(route, `${route.path(ids)}?${param}=${wtf8(bad)}`);
          if (answer.status !== 400) failures.push(`${route.method} ${route.path(ids)}?${param}: ${answer.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('hostile values in every field, query parameter and path parameter: never a 5xx', async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      for (const bad of HOSTILE) {
        for (const field of Object.keys(route.body ?? {})) {
          const answer = await send(route, route.path(ids), { ...route.body, [field]: bad });
          if (answer.status >= 500) failures.push(`${route.method} body.${field}=${JSON.stringify(bad).slice(0, 40)}: ${answer.status}`);
        }
        for (const param of route.query ?? []) {
          const answer = await send(route, `${route.path(ids)}?${param}=${wtf8(String(bad))}`);
          if (answer.status >= 500) failures.push(`${route.method} ?${param}: ${answer.status}`);
        }
      }
      // Not an object at all.
      for (const raw of route.body ? [[], 'text', 42] : []) {
        const answer = await send(route, route.path(ids), raw);
        if (answer.status >= 500) failures.push(`${route.method} ${route.path(ids)} body=${JSON.stringify(raw)}: ${answer.status}`);
      }
    }
    for (const path of PATHS) {
      for (const bad of [...UNSTORABLE, ...HOSTILE.filter((v): v is string => typeof v === 'string' && v !== '')]) {
        for (const method of ['GET', 'POST', 'DELETE']) {
          const answer = await t.http(method, path(wtf8(bad)), owner, undefined, 'admin');
          if (answer.status >= 500) failures.push(`${method} ${path(JSON.stringify(bad).slice(0, 20))}: ${answer.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('the server still serves, and nothing unstorable was stored', async () => {
    expect((await t.http('GET', '/health/ready')).status).toBe(200);
    const listed = (await t.http('GET', '/tasks?limit=200', owner, undefined, 'admin')).body as TaskView[];
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((task) => findUnstorableText(task) !== undefined)).toEqual([]);
  });
});
