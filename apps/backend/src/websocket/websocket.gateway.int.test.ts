import { randomUUID } from 'node:crypto';
import { ErrorCode, taskStream, type SubscribeAck } from '@taskdash/contract';
import fc from 'fast-check';
import { expectEventually } from '../../../../test/eventually';
import { EventCollector, subscribe } from '../../../../test/event-collector';
import { connected, startTestApp, type TestApp, type TestSocket } from '../../../../test/test-app';
import { testClients } from '../../../../test/test-database';
import type { Role } from '../auth/principal.types';
import { EventStore } from '../events/event-store';
import { EventFanout } from './delivery/event-fanout.service';

describe('websocket gateway', () => {
  let t: TestApp;
  const clients = testClients(() => t.database.url);
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await clients.end();
    await t.close();
  });

  const newTask = async (owner: string, members: string[] = []) =>
    ((await t.http('POST', '/tasks', owner, { title: 'g', members })).body as { id: string }).id;

  const open = async (sub: string, role: Role = 'user'): Promise<TestSocket> => {
    const socket = t.connect(t.token(sub, role));
    await connected(socket);
    return socket;
  };

  /** Holds every `peekHead` read (the real one runs after `release`), as if it waited to batch with others. */
  const holdHeadReads = () => {
    const store = t.app.get(EventStore, { strict: false });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const peek = store.peekHead.bind(store);
    const spy = jest.spyOn(store, 'peekHead').mockImplementation(async (stream) => {
      await gate;
      return peek(stream);
    });
    return { spy, release };
  };

  const emitRaw = (socket: TestSocket, event: string, ...args: unknown[]) =>
    (socket.emit as unknown as (event: string, ...args: unknown[]) => void)(event, ...args);

  const ackOf = (socket: TestSocket, event: string, payload: unknown) =>
    new Promise<SubscribeAck>((resolve) => emitRaw(socket, event, payload, resolve));

  it("joins the socket to its own user stream on connect and delivers events addressed to it", async () => {
    const socket = await open('uma');
    const got = new EventCollector(socket);
    const joined = () => t.app.get(EventFanout, { strict: false }).attachedNamespace!.sockets.get(socket.id!)!.rooms;
    await expectEventually(() => expect(joined().has('s:user:uma')).toBe(true));
    // Joining a first-time user's stream reads it and creates nothing (no write per handshake).
    const client = await clients.connect();
    const row = async () =>
      (await client.query<{ epoch: string }>('SELECT epoch::text AS epoch FROM event_streams WHERE name = $1', ['user:uma'])).rows;
    expect(await row()).toEqual([]);
    const taskId = await newTask('owner-1', ['uma']);
    await expectEventually(() =>
      expect(got.all.filter((e) => e.stream === 'user:uma').map((e) => e.type)).toEqual(['task.member_added']),
    );
    expect(got.all[0]?.payload).toMatchObject({ taskId, userId: 'uma' });
    // The stream the first event created is delivered from seq 1, under its real epoch, and an
    // explicit subscribe names that same position.
    const [{ epoch }] = (await row()) as [{ epoch: string }];
    expect(got.all[0]).toMatchObject({ seq: 1, epoch });
    const answer = await subscribe(socket, [{ stream: 'user:uma' }]);
    expect(answer.ok && answer.results[0]).toMatchObject({ ok: true, position: { seq: 1, epoch } });
  });

  it("delivers an event stored while the user stream's head is being read (the read waits to batch with others)", async () => {
    const { spy, release } = holdHeadReads();
    try {
      const socket = await open('latecomer');
      const got = new EventCollector(socket);
      await expectEventually(() => expect(spy).toHaveBeenCalledWith('user:latecomer'));
      // Stored after the socket was admitted, before its join knows the head: the read will include it.
      await newTask('owner-2', ['latecomer']);
      release();
      await expectEventually(() =>
        expect(got.all.filter((e) => e.stream === 'user:latecomer').map((e) => [e.seq, e.type])).toEqual([[1, 'task.member_added']]),
      );
    } finally {
      release();
      spy.mockRestore();
    }
  });

  it("a client's request queued behind the server's own join sends the join's batched head read at once", async () => {
    const hurried = jest.spyOn(t.app.get(EventStore, { strict: false }), 'hurryPeeks');
    // The user stream's join is held at its head read (as if it waited to batch with others).
    const { spy: held, release } = holdHeadReads();
    try {
      const socket = t.connect(t.token('hasty'));
      await connected(socket);
      await expectEventually(() => expect(held).toHaveBeenCalledWith('user:hasty'));
      const answering = subscribe(socket, [{ stream: 'system' }]);
      await expectEventually(() => expect(hurried).toHaveBeenCalled());
      release();
      expect((await answering).ok).toBe(true);
    } finally {
      release();
      held.mockRestore();
      hurried.mockRestore();
    }
  });

  it('an explicit subscribe to a stream the server joined without creating it creates it and names its real epoch', async () => {
    const socket = await open('newcomer');
    const client = await clients.connect();
    const answer = await subscribe(socket, [{ stream: 'user:newcomer' }]);
    const rows = (await client.query<{ epoch: string }>('SELECT epoch::text AS epoch FROM event_streams WHERE name = $1', ['user:newcomer'])).rows;
    expect(rows).toHaveLength(1);
    expect(answer.ok && answer.results[0]).toMatchObject({ ok: true, position: { seq: 0, epoch: rows[0]!.epoch } });
  });

  it('an idle socket holds little: no token, one disconnect listener, no message or request state, no room but its own and its stream', async () => {
    const client = await open('idle');
    const socket = t.app.get(EventFanout, { strict: false }).attachedNamespace!.sockets.get(client.id!)!;
    await expectEventually(() => expect([...socket.rooms].sort()).toEqual([socket.id, 's:user:idle'].sort()));
    await expectEventually(() => expect(socket.data.queue).toBeUndefined());
    expect(socket.handshake.auth).toEqual({});
    expect(socket.listenerCount('disconnect')).toBe(1);
    expect(socket.data.subscriptions).toEqual(new Set(['user:idle']));
    expect(socket.data.tokenCheck).toEqual(expect.any(Number));
    expect(socket.data.budget).toBeUndefined();
  });

  it("refuses another user's stream and a task the user is not a member of with forbidden", async () => {
    const socket = await open('mallory');
    const taskId = await newTask('victim');
    const answer = await subscribe(socket, [{ stream: 'user:victim' }, { stream: taskStream(taskId) }, { stream: 'system' }]);
    expect(answer.ok && answer.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      ErrorCode.Forbidden,
      ErrorCode.Forbidden,
      ErrorCode.Forbidden,
    ]);
  });

  it('answers malformed messages with error codes, stays up, and other clients see nothing of it', async () => {
    const taskId = await newTask('quiet', []);
    const bystander = await open('quiet');
    const seen = new EventCollector(bystander);
    const errors: unknown[] = [];
    bystander.on('error', (e) => errors.push(e));
    await subscribe(bystander, [{ stream: taskStream(taskId) }]);

    const attacker = await open('noisy');
    const attackerErrors: Array<{ code: string }> = [];
    attacker.on('error', (e) => attackerErrors.push(e));
    const bad: unknown[] = [
      undefined,
      null,
      42,
      'subscribe',
      { streams: 'task:x' },
      { streams: [] },
      { streams: [{ stream: 7 }] },
      { streams: [{ stream: 'x'.repeat(50_000) }] },
      { streams: [{ stream: taskStream(taskId), position: { seq: -1, epoch: 'nope' } }] },
      { streams: [{ stream: taskStream(taskId) }], extra: true },
      { streams: Array.from({ length: 101 }, () => ({ stream: 'system' })) },
    ];
    for (const payload of bad) {
      const answer = await ackOf(attacker, 'subscribe', payload);
      expect(answer).toEqual({ ok: false, error: { code: ErrorCode.InvalidMessage, message: expect.any(String) } });
    }
    const malformedName = await subscribe(attacker, [{ stream: 'task:not-a-uuid' }, { stream: 'bogus:1' }]);
    expect(malformedName.ok && malformedName.results.map((r) => !r.ok && r.error.code)).toEqual([
      ErrorCode.InvalidStream,
      ErrorCode.InvalidStream,
    ]);
    emitRaw(attacker, 'subscribe', { streams: 5 }); // no ack callback
    emitRaw(attacker, 'drop_tables', { please: true });
    emitRaw(attacker, 'unsubscribe', { streams: [42] }, () => undefined);
    await expectEventually(() =>
      expect(attackerErrors.map((e) => e.code)).toEqual([ErrorCode.InvalidMessage, ErrorCode.InvalidMessage]),
    );
    expect(attacker.connected).toBe(true);

    await t.http('PUT', `/tasks/${taskId}/status`, 'quiet', { status: 'done' });
    await expectEventually(() => expect(seen.all.map((e) => e.type)).toContain('task.status_changed'));
    expect(errors).toEqual([]);
  });

  it('a subscription succeeds exactly when the rules allow it (property-based over users, roles, tasks and names)', async () => {
    const users = ['p1', 'p2', 'p3', 'p4'];
    const tasks = await Promise.all(
      users.map(async (owner, i) => ({ id: await newTask(owner, [users[(i + 1) % users.length]!]), owner, member: users[(i + 1) % users.length]! })),
    );
    const roles: Role[] = ['user', 'operator', 'admin'];
    const sockets = new Map<string, TestSocket>();
    for (const user of users) for (const role of roles) sockets.set(`${user}/${role}`, await open(user, role));

    const streamArb = fc.oneof(
      fc.constantFrom(...tasks.map((task) => taskStream(task.id))),
      fc.constant(taskStream(randomUUID())),
      fc.constantFrom(...users.map((u) => `user:${u}`)),
      fc.constantFrom('system', 'queue:executions', 'queue:bad name', 'system:1', 'task:', 'user:', ''),
      fc.string({ maxLength: 40 }),
    );
    const expected = (user: string, role: Role, stream: string): string => {
      const task = tasks.find((x) => taskStream(x.id) === stream);
      if (task) return role === 'admin' || task.owner === user || task.member === user ? 'ok' : ErrorCode.Forbidden;
      if (/^task:[0-9a-f-]{36}$/.test(stream)) return ErrorCode.Forbidden; // no such task
      if (/^user:[A-Za-z0-9._@|+-]{1,128}$/.test(stream)) return stream === `user:${user}` ? 'ok' : ErrorCode.Forbidden;
      if (stream === 'system' || /^queue:[A-Za-z0-9._-]{1,64}$/.test(stream)) return role === 'user' ? ErrorCode.Forbidden : 'ok';
      return stream.length === 0 ? ErrorCode.InvalidMessage : ErrorCode.InvalidStream;
    };

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...users), fc.constantFrom(...roles), streamArb, async (user, role, stream) => {
        const socket = sockets.get(`${user}/${role}`)!;
        const answer = await subscribe(socket, [{ stream }]);
        const outcome = !answer.ok ? answer.error.code : answer.results[0]!.ok ? 'ok' : answer.results[0]!.error.code;
        expect(outcome).toBe(expected(user, role, stream));
        if (outcome === 'ok' && stream !== `user:${user}`) {
          await new Promise((resolve) => socket.emit('unsubscribe', { streams: [stream] }, resolve));
        }
      }),
      { numRuns: 150 },
    );
  });
});
