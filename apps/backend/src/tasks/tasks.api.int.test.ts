import { randomUUID } from 'node:crypto';
import type { TaskSnapshot, TaskView } from '@taskdash/contract';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { startTestApp, type TestApp } from '../../../../test/test-app';
import { TEST_JWT_SECRET } from '../../../../test/test-env';
import { ROLES, type Role } from '../auth/principal.types';

interface StoredEvent {
  stream: string;
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

const NOT_FOUND = { code: 'not_found', message: 'no such task' };

/** A user id no other test in this file uses, so user streams and lists are exact. */
const user = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

describe('task API', () => {
  let t: TestApp;
  let pg: Client;

  beforeAll(async () => {
    t = await startTestApp();
    pg = new Client({ connectionString: t.database.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const create = async (owner: string, body: Record<string, unknown> = {}): Promise<TaskView> => {
    const response = await t.http('POST', '/tasks', owner, { title: 'a task', ...body });
    expect(response.status).toBe(201);
    return response.body as TaskView;
  };

  const events = async (stream: string): Promise<StoredEvent[]> => {
    const { rows } = await pg.query<{
      stream: string;
      seq: string;
      type: string;
      payload: Record<string, unknown>;
    }>('SELECT stream, seq, type, payload FROM events WHERE stream = $1 ORDER BY seq', [stream]);
    const stored = rows.map((row) => ({ ...row, seq: Number(row.seq) }));
    // Nothing is purged in this file, so every stream is numbered 1..n without a gap.
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, index) => index + 1));
    return stored;
  };
  const types = async (stream: string) => (await events(stream)).map((e) => e.type);

  /** A request with a hand-made Authorization header (or none). */
  const raw = async (authorization: string | undefined) => {
    const response = await fetch(`${t.url}/tasks`, { headers: authorization ? { authorization } : {} });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  describe('create and read', () => {
    it('creates a task owned by the caller, deduplicating members and leaving the owner out of them', async () => {
      const [owner, bob] = [user('owner'), user('bob')];
      const response = await t.http('POST', '/tasks', owner, {
        title: '  Ship it  ',
        members: [bob, bob, owner],
      });
      expect(response.status).toBe(201);
      const task = response.body as TaskSnapshot;
      expect(task).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: 'Ship it',
        description: '',
        status: 'todo',
        ownerId: owner,
        members: [bob],
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        // Where its stream stands after this write: subscribe from here to miss nothing.
        position: { seq: 1, epoch: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      });
      expect((await t.http('GET', `/tasks/${task.id}`, owner)).body).toEqual(task);
    });

    it('writes task.created to the task and owner streams and task.member_added to each member stream', async () => {
      const [owner, bob, carol] = [user('owner'), user('bob'), user('carol')];
      const { position, ...task } = await create(owner, { title: 'Plan', members: [bob, carol] });
      const [created] = await events(`task:${task.id}`);
      expect(position).toEqual({ seq: 1, epoch: expect.any(String) });
      expect(await types(`task:${task.id}`)).toEqual(['task.created']);
      expect(created!.payload).toEqual({ task });
      expect(await events(`user:${owner}`)).toEqual([
        { stream: `user:${owner}`, seq: 1, type: 'task.created', payload: { task } },
      ]);
      for (const member of [bob, carol]) {
        expect(await events(`user:${member}`)).toEqual([
          {
            stream: `user:${member}`,
            seq: 1,
            type: 'task.member_added',
            payload: { taskId: task.id, userId: member, title: 'Plan' },
          },
        ]);
      }
    });

    it('shows a task to its owner, its members and an admin', async () => {
      const [owner, member, admin] = [user('owner'), user('member'), user('admin')];
      const task = await create(owner, { members: [member] });
      for (const [sub, role] of [
        [owner, 'user'],
        [member, 'user'],
        [admin, 'admin'],
      ] as const) {
        const response = await t.http('GET', `/tasks/${task.id}`, sub, undefined, role);
        expect({ sub, status: response.status }).toEqual({ sub, status: 200 });
        expect((response.body as TaskSnapshot).id).toBe(task.id);
      }
    });
  });

  describe('visibility', () => {
    it('answers a non-member exactly as for a task that does not exist, for every operation, and changes nothing', async () => {
      const [owner, member, stranger] = [user('owner'), user('member'), user('stranger')];
      const task = await create(owner, { members: [member] });
      const before = await events(`task:${task.id}`);
      const attempts = (id: string) =>
        [
          ['GET', `/tasks/${id}`, undefined],
          ['PATCH', `/tasks/${id}`, { title: 'hijacked' }],
          ['PUT', `/tasks/${id}/status`, { status: 'done' }],
          ['POST', `/tasks/${id}/members`, { userId: stranger }],
          ['DELETE', `/tasks/${id}/members/${member}`, undefined],
          ['DELETE', `/tasks/${id}`, undefined],
        ] as const;
      for (const [method, path, body] of attempts(task.id)) {
        const response = await t.http(method, path, stranger, body, 'operator');
        expect({ method, path, ...response }).toEqual({ method, path, status: 404, body: NOT_FOUND });
      }
      for (const [method, path, body] of attempts(randomUUID())) {
        const response = await t.http(method, path, owner, body);
        expect({ method, path, ...response }).toEqual({ method, path, status: 404, body: NOT_FOUND });
      }
      expect((await t.http('GET', `/tasks/${task.id}`, owner)).body).toEqual(task);
      expect(await events(`task:${task.id}`)).toEqual(before);
    });

    it('lists exactly the tasks the caller owns or belongs to, newest first', async () => {
      const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
      const a1 = await create(alice, { title: 'a1' });
      const b1 = await create(bob, { title: 'b1', members: [alice] });
      const c1 = await create(carol, { title: 'c1', members: [bob] });
      const a2 = await create(alice, { title: 'a2', members: [carol] });
      const ids = async (sub: string) =>
        ((await t.http('GET', '/tasks', sub)).body as TaskSnapshot[]).map((task) => task.id);
      expect(await ids(alice)).toEqual([a2.id, b1.id, a1.id]);
      expect(await ids(bob)).toEqual([c1.id, b1.id]);
      expect(await ids(carol)).toEqual([a2.id, c1.id]);
      expect(await ids(user('nobody'))).toEqual([]);
    });

    it('lists every task to an admin, and honours limit', async () => {
      await create(user('someone'));
      const { rows } = await pg.query<{ id: string }>('SELECT id FROM tasks ORDER BY created_at DESC');
      const all = await t.http('GET', '/tasks?limit=500', user('admin'), undefined, 'admin');
      expect(all.status).toBe(200);
      expect((all.body as TaskSnapshot[]).map((task) => task.id).sort()).toEqual(
        rows.map((row) => row.id).sort(),
      );
      const two = await t.http('GET', '/tasks?limit=2', user('admin'), undefined, 'admin');
      expect((two.body as TaskSnapshot[]).length).toBe(2);
    });

    it('shows GET /tasks/:id exactly to the owner, current members and admins (property)', async () => {
      // A small pool, so that owner, members and caller often coincide.
      const pool = Array.from({ length: 5 }, (_, index) => user(`p${index}`));
      const scenario = fc.record({
        owner: fc.constantFrom(...pool),
        initialMembers: fc.subarray(pool),
        addedMembers: fc.subarray(pool),
        removedMembers: fc.subarray(pool),
        caller: fc.constantFrom(...pool),
        role: fc.constantFrom<Role>(...ROLES),
      });
      await fc.assert(
        fc.asyncProperty(
          scenario,
          async ({ owner, initialMembers, addedMembers, removedMembers, caller, role }) => {
            const task = await create(owner, { members: initialMembers });
            for (const member of addedMembers) {
              expect(
                (await t.http('POST', `/tasks/${task.id}/members`, owner, { userId: member })).status,
              ).toBe(201);
            }
            for (const member of removedMembers) {
              expect((await t.http('DELETE', `/tasks/${task.id}/members/${member}`, owner)).status).toBe(200);
            }
            const members = new Set(
              [...initialMembers, ...addedMembers].filter((m) => !removedMembers.includes(m) && m !== owner),
            );
            const seenByOwner = (await t.http('GET', `/tasks/${task.id}`, owner)).body as TaskSnapshot;
            expect([...seenByOwner.members].sort()).toEqual([...members].sort());
            const allowed = caller === owner || members.has(caller) || role === 'admin';
            const response = await t.http('GET', `/tasks/${task.id}`, caller, undefined, role);
            expect(response.status).toBe(allowed ? 200 : 404);
            const listed = (
              (await t.http('GET', '/tasks?limit=500', caller, undefined, role)).body as TaskSnapshot[]
            ).some((listedTask) => listedTask.id === task.id);
            expect(listed).toBe(allowed);
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  describe('changes', () => {
    it('lets a member edit title and description and writes task.updated with exactly the changes', async () => {
      const [owner, member] = [user('owner'), user('member')];
      const task = await create(owner, { members: [member] });
      const response = await t.http('PATCH', `/tasks/${task.id}`, member, { title: 'Renamed' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: task.id, title: 'Renamed', description: '' });
      const both = await t.http('PATCH', `/tasks/${task.id}`, owner, {
        title: 'Again',
        description: 'details',
      });
      expect(both.body).toMatchObject({ title: 'Again', description: 'details' });
      expect((await events(`task:${task.id}`)).slice(1)).toEqual([
        {
          stream: `task:${task.id}`,
          seq: 2,
          type: 'task.updated',
          payload: { taskId: task.id, changes: { title: 'Renamed' } },
        },
        {
          stream: `task:${task.id}`,
          seq: 3,
          type: 'task.updated',
          payload: { taskId: task.id, changes: { title: 'Again', description: 'details' } },
        },
      ]);
    });

    it('changes status and writes task.status_changed with from and to; the same status again writes nothing', async () => {
      const [owner, member, admin] = [user('owner'), user('member'), user('admin')];
      const task = await create(owner, { members: [member] });
      const started = await t.http('PUT', `/tasks/${task.id}/status`, member, { status: 'in_progress' });
      expect(started).toMatchObject({ status: 200, body: { id: task.id, status: 'in_progress' } });
      expect(
        (await t.http('PUT', `/tasks/${task.id}/status`, admin, { status: 'done' }, 'admin')).status,
      ).toBe(200);
      expect((await t.http('PUT', `/tasks/${task.id}/status`, owner, { status: 'done' })).status).toBe(200);
      expect((await t.http('GET', `/tasks/${task.id}`, owner)).body).toMatchObject({ status: 'done' });
      const stream = `task:${task.id}`;
      expect((await events(stream)).slice(1)).toEqual([
        {
          stream,
          seq: 2,
          type: 'task.status_changed',
          payload: { taskId: task.id, from: 'todo', to: 'in_progress' },
        },
        {
          stream,
          seq: 3,
          type: 'task.status_changed',
          payload: { taskId: task.id, from: 'in_progress', to: 'done' },
        },
      ]);
    });

    it('adds a member, who then sees the task, and writes task.member_added to the task and the member streams', async () => {
      const [owner, newcomer] = [user('owner'), user('newcomer')];
      const task = await create(owner, { title: 'Join me' });
      expect((await t.http('GET', `/tasks/${task.id}`, newcomer)).status).toBe(404);
      const response = await t.http('POST', `/tasks/${task.id}/members`, owner, { userId: newcomer });
      expect(response).toMatchObject({ status: 201, body: { members: [newcomer] } });
      expect((await t.http('GET', `/tasks/${task.id}`, newcomer)).status).toBe(200);
      const payload = { taskId: task.id, userId: newcomer, title: 'Join me' };
      expect(await events(`task:${task.id}`)).toEqual([
        expect.objectContaining({ seq: 1, type: 'task.created' }),
        { stream: `task:${task.id}`, seq: 2, type: 'task.member_added', payload },
      ]);
      expect(await events(`user:${newcomer}`)).toEqual([
        { stream: `user:${newcomer}`, seq: 1, type: 'task.member_added', payload },
      ]);
    });

    it('adding an existing member again changes nothing and writes no event', async () => {
      const [owner, member] = [user('owner'), user('member')];
      const task = await create(owner, { members: [member] });
      const response = await t.http('POST', `/tasks/${task.id}/members`, owner, { userId: member });
      expect(response).toMatchObject({ status: 201, body: { members: [member] } });
      expect(await types(`task:${task.id}`)).toEqual(['task.created']);
      expect(await types(`user:${member}`)).toEqual(['task.member_added']);
    });

    it('adding the owner as a member changes nothing, as on create, so removing them later tells nobody anything', async () => {
      const owner = user('owner');
      const task = await create(owner);
      const added = await t.http('POST', `/tasks/${task.id}/members`, owner, { userId: owner });
      expect(added).toMatchObject({ status: 201, body: { members: [] } });
      const removed = await t.http('DELETE', `/tasks/${task.id}/members/${owner}`, owner);
      expect(removed).toMatchObject({ status: 200, body: { ownerId: owner, members: [] } });
      expect((await t.http('GET', `/tasks/${task.id}`, owner)).status).toBe(200);
      expect(await types(`task:${task.id}`)).toEqual(['task.created']);
      expect(await types(`user:${owner}`)).toEqual(['task.created']);
    });

    it('removes a member, who then gets 404, and writes task.member_removed to the task and the member streams', async () => {
      const [owner, leaving, staying] = [user('owner'), user('leaving'), user('staying')];
      const task = await create(owner, { members: [leaving, staying] });
      const response = await t.http('DELETE', `/tasks/${task.id}/members/${leaving}`, owner);
      expect(response).toMatchObject({ status: 200, body: { members: [staying] } });
      expect((await t.http('GET', `/tasks/${task.id}`, leaving)).body).toEqual(NOT_FOUND);
      const payload = { taskId: task.id, userId: leaving };
      expect((await events(`task:${task.id}`)).slice(1)).toEqual([
        { stream: `task:${task.id}`, seq: 2, type: 'task.member_removed', payload },
      ]);
      expect(await types(`user:${leaving}`)).toEqual(['task.member_added', 'task.member_removed']);
      expect(await types(`user:${staying}`)).toEqual(['task.member_added']);
    });

    it('removing someone who is not a member writes no event', async () => {
      const owner = user('owner');
      const task = await create(owner);
      const response = await t.http('DELETE', `/tasks/${task.id}/members/${user('ghost')}`, owner);
      expect(response.status).toBe(200);
      expect(await types(`task:${task.id}`)).toEqual(['task.created']);
    });

    it('deletes a task (204); afterwards everybody gets 404 and task.deleted reaches the task, owner and member streams', async () => {
      const [owner, member] = [user('owner'), user('member')];
      const task = await create(owner, { members: [member] });
      const response = await t.http('DELETE', `/tasks/${task.id}`, owner);
      expect(response).toEqual({ status: 204, body: undefined });
      for (const [sub, role] of [
        [owner, 'user'],
        [member, 'user'],
        [user('admin'), 'admin'],
      ] as const) {
        expect(await t.http('GET', `/tasks/${task.id}`, sub, undefined, role)).toEqual({
          status: 404,
          body: NOT_FOUND,
        });
      }
      const payload = { taskId: task.id };
      expect((await events(`task:${task.id}`)).slice(1)).toEqual([
        { stream: `task:${task.id}`, seq: 2, type: 'task.deleted', payload },
      ]);
      expect(await events(`user:${owner}`)).toEqual([
        expect.objectContaining({ seq: 1, type: 'task.created' }),
        { stream: `user:${owner}`, seq: 2, type: 'task.deleted', payload },
      ]);
      expect(await types(`user:${member}`)).toEqual(['task.member_added', 'task.deleted']);
      expect((await pg.query('SELECT 1 FROM task_members WHERE task_id = $1', [task.id])).rowCount).toBe(0);
    });
  });

  describe('managing members and deleting', () => {
    it('refuses a member who adds or removes members or deletes with 403 forbidden, and changes nothing', async () => {
      const [owner, member, other] = [user('owner'), user('member'), user('other')];
      const task = await create(owner, { members: [member, other] });
      const attempts = [
        ['POST', `/tasks/${task.id}/members`, { userId: user('friend') }],
        ['DELETE', `/tasks/${task.id}/members/${other}`, undefined],
        ['DELETE', `/tasks/${task.id}/members/${member}`, undefined],
        ['DELETE', `/tasks/${task.id}`, undefined],
      ] as const;
      for (const [method, path, body] of attempts) {
        const response = await t.http(method, path, member, body, 'operator');
        expect({ method, path, status: response.status, body: response.body }).toEqual({
          method,
          path,
          status: 403,
          body: { code: 'forbidden', message: expect.any(String) },
        });
      }
      expect((await t.http('GET', `/tasks/${task.id}`, owner)).body).toEqual(task);
      expect(await types(`task:${task.id}`)).toEqual(['task.created']);
    });

    it('lets an admin who is neither owner nor member manage members and delete', async () => {
      const [owner, admin, newcomer] = [user('owner'), user('admin'), user('newcomer')];
      const task = await create(owner);
      expect(
        (await t.http('POST', `/tasks/${task.id}/members`, admin, { userId: newcomer }, 'admin')).status,
      ).toBe(201);
      expect(
        (await t.http('DELETE', `/tasks/${task.id}/members/${newcomer}`, admin, undefined, 'admin')).status,
      ).toBe(200);
      expect((await t.http('DELETE', `/tasks/${task.id}`, admin, undefined, 'admin')).status).toBe(204);
      expect(await types(`task:${task.id}`)).toEqual([
        'task.created',
        'task.member_added',
        'task.member_removed',
        'task.deleted',
      ]);
      expect((await pg.query('SELECT 1 FROM tasks WHERE id = $1', [task.id])).rowCount).toBe(0);
    });
  });

  describe('authentication', () => {
    const sign = (claims: Record<string, unknown>, secret = TEST_JWT_SECRET) =>
      jwt.sign({ sub: 'alice', role: 'user', ...claims }, secret, { algorithm: 'HS256' });
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      ['no Authorization header', 'token_missing', undefined],
      ['a scheme other than Bearer', 'token_invalid', `Basic ${Buffer.from('alice:pw').toString('base64')}`],
      ['Bearer without a token', 'token_invalid', 'Bearer'],
      ['a token that is not a JWT', 'token_invalid', 'Bearer not.a.jwt'],
      [
        'a token signed with another secret',
        'token_invalid',
        `Bearer ${sign({ exp: now() + 600 }, 'another-secret-that-is-long-enough-000000')}`,
      ],
      ['a token without exp', 'token_invalid', `Bearer ${sign({})}`],
      ['an expired token', 'token_expired', `Bearer ${sign({ exp: now() - 60 })}`],
    ])(
      'answers 401 to %s with code %s and no more than code and message',
      async (_case, code, authorization) => {
        const response = await raw(authorization);
        expect(response).toEqual({ status: 401, body: { code, message: expect.any(String) } });
      },
    );

    it('answers a valid bearer token', async () => {
      expect((await raw(`Bearer ${sign({ exp: now() + 600 })}`)).status).toBe(200);
    });
  });

  describe('invalid requests', () => {
    let taskId: string;
    let owner: string;
    beforeAll(async () => {
      owner = user('owner');
      taskId = (await create(owner)).id;
    });

    it.each<[string, string, () => string, unknown, RegExp]>([
      ['a create without title', 'POST', () => '/tasks', { description: 'x' }, /title/],
      ['a blank title', 'POST', () => '/tasks', { title: '   ' }, /title/],
      ['a title of 201 characters', 'POST', () => '/tasks', { title: 'x'.repeat(201) }, /title/],
      ['an unknown field', 'POST', () => '/tasks', { title: 'x', ownerId: 'mallory' }, /ownerId/],
      ['a title of the wrong type', 'POST', () => '/tasks', { title: 42 }, /title/],
      ['members that are not an array', 'POST', () => '/tasks', { title: 'x', members: 'bob' }, /members/],
      ['a member id with a space', 'POST', () => '/tasks', { title: 'x', members: ['bad id'] }, /members\.0/],
      ['malformed JSON', 'POST', () => '/tasks', '{"title": "x"', /JSON|Unexpected|Expected/i],
      ['a JSON string instead of an object', 'POST', () => '/tasks', '"just a string"', /./],
      ['a JSON array instead of an object', 'POST', () => '/tasks', [], /body/],
      ['no body at all', 'POST', () => '/tasks', undefined, /body/],
      ['a task id that is not a uuid', 'GET', () => '/tasks/not-a-uuid', undefined, /uuid/],
      ['a path with SQL in it', 'GET', () => "/tasks/1'%20OR%20'1'='1", undefined, /uuid/],
      ['a delete of a task id that is not a uuid', 'DELETE', () => '/tasks/123', undefined, /uuid/],
      ['an empty patch', 'PATCH', () => `/tasks/${taskId}`, {}, /at least one field/],
      ['a patch of the status', 'PATCH', () => `/tasks/${taskId}`, { status: 'done' }, /status/],
      ['a patch of a null title', 'PATCH', () => `/tasks/${taskId}`, { title: null }, /title/],
      ['an unknown status', 'PUT', () => `/tasks/${taskId}/status`, { status: 'finished' }, /status/],
      ['a status change without status', 'PUT', () => `/tasks/${taskId}/status`, {}, /status/],
      [
        'a status change with an extra field',
        'PUT',
        () => `/tasks/${taskId}/status`,
        { status: 'done', from: 'todo' },
        /from/,
      ],
      ['an empty member id', 'POST', () => `/tasks/${taskId}/members`, { userId: '' }, /userId/],
      ['a member id of the wrong type', 'POST', () => `/tasks/${taskId}/members`, { userId: 7 }, /userId/],
      [
        'a member removal with a malformed user id',
        'DELETE',
        () => `/tasks/${taskId}/members/bad%20id`,
        undefined,
        /user id/,
      ],
      ['a list limit of 0', 'GET', () => '/tasks?limit=0', undefined, /limit/],
      ['a list limit that is not a number', 'GET', () => '/tasks?limit=many', undefined, /limit/],
      ['an unknown list parameter', 'GET', () => '/tasks?owner=alice', undefined, /owner/],
    ])(
      'refuses %s with 400 invalid_request and a message without a stack',
      async (_case, method, path, body, mentions) => {
        const response = await t.http(method, path(), owner, body);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ code: 'invalid_request', message: expect.stringMatching(mentions) });
        expect((response.body as { message: string }).message).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
      },
    );

    it('refuses a body over 256 kB with 413 invalid_request', async () => {
      const response = await t.http('POST', '/tasks', owner, {
        title: 'big',
        description: 'x'.repeat(300 * 1024),
      });
      expect(response).toEqual({
        status: 413,
        body: { code: 'invalid_request', message: expect.any(String) },
      });
    });

    it('stores nothing for refused requests', async () => {
      await t.http('POST', '/tasks', owner, { title: 42 });
      await t.http('PUT', `/tasks/${taskId}/status`, owner, { status: 'finished' });
      expect(await types(`task:${taskId}`)).toEqual(['task.created']);
      expect(await types(`user:${owner}`)).toEqual(['task.created']);
    });
  });

  it('numbers every stream written by these tests 1..n and keeps event_streams.last_seq at the head', async () => {
    const { rows } = await pg.query<{
      stream: string;
      count: string;
      min: string;
      max: string;
      last_seq: string;
    }>(
      `SELECT e.stream, count(*) AS count, min(e.seq) AS min, max(e.seq) AS max, s.last_seq
         FROM events e JOIN event_streams s ON s.name = e.stream GROUP BY e.stream, s.last_seq`,
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      expect({ stream: row.stream, min: row.min, max: row.max, last: row.last_seq }).toEqual({
        stream: row.stream,
        min: '1',
        max: row.count,
        last: row.count,
      });
    }
  });
});
