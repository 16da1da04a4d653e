import { join } from 'node:path';
import { TASK_STATUSES, taskStream, type EventEnvelope, type TaskStatus } from '@taskdash/contract';
import { startBackendProcess, type BackendProcess } from '../../../../test/backend-process';
import { EventCollector, subscribe } from '../../../../test/event-collector';
import { expectEventually } from '../../../../test/eventually';
import { connectSocket, connected, startTestApp, type TestApp, type TestSocket } from '../../../../test/test-app';
import { CommittedEvents } from '../events/committed-events';
import { EventStore } from '../events/event-store';
import { EventTransactions } from '../events/event-transactions.service';
import { TaskEventsService } from './task-events.service';

const CONCURRENCY = 16;
const ROUNDS = 12;

type StatusChange = EventEnvelope<'task.status_changed'>;

/**
 * The task stream must tell the same story as the task row: under concurrent status
 * changes every `from` is the previous event's `to`, and the last `to` is the row's status.
 * Checked on the database and on the wire (raw `events` messages, no client library).
 */
describe('task stream and task row agree', () => {
  let b: TestApp;
  let a: BackendProcess;
  let store: EventStore;

  beforeAll(async () => {
    b = await startTestApp({ redis: true, env: { CONNECTIONS_PER_SECOND_PER_IP: '1000' } });
    store = b.app.get(EventStore);
    a = await startBackendProcess({ DATABASE_URL: b.database.url, REDIS_KEY_PREFIX: b.runtime.config.redisKeyPrefix });
  });
  afterAll(async () => {
    await a?.kill();
    await b?.close();
  });

  const owner = 'olga';
  const newTask = async () => ((await b.http('POST', '/tasks', owner, { title: 'race' })).body as { id: string }).id;
  const watch = async (url: string | undefined, taskId: string): Promise<{ socket: TestSocket; got: EventCollector }> => {
    const socket = url ? connectSocket(url, b.token(owner)) : b.connect(b.token(owner));
    const got = new EventCollector(socket);
    await connected(socket);
    const answer = await subscribe(socket, [{ stream: taskStream(taskId) }]);
    expect(answer.ok).toBe(true);
    return { socket, got };
  };
  const put = async (base: string, taskId: string, status: TaskStatus): Promise<number> => {
    const response = await fetch(`${base}/tasks/${taskId}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${b.token(owner)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status }),
    });
    await response.text();
    return response.status;
  };
  const pick = () => TASK_STATUSES[Math.floor(Math.random() * TASK_STATUSES.length)]!;

  /** Checks the stored stream against the row and returns it. */
  const checkStored = async (taskId: string): Promise<StatusChange[]> => {
    const stream = await store.read(taskStream(taskId), 0, 1_000_000, 1_000_000);
    const changes = stream.filter((e): e is StatusChange => e.type === 'task.status_changed');
    expect(changes.length).toBeGreaterThan(ROUNDS);
    let current: TaskStatus = 'todo';
    const broken = changes.filter((e) => {
      const bad = e.payload.from !== current;
      current = e.payload.to;
      return bad;
    });
    expect(broken).toEqual([]);
    const row = (await b.http('GET', `/tasks/${taskId}`, owner)).body as { status: TaskStatus };
    expect(row.status).toBe(current);
    return changes;
  };

  const race = async (taskId: string, bases: string[]) => {
    for (let round = 0; round < ROUNDS; round++) {
      const statuses = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) => put(bases[i % bases.length]!, taskId, pick())),
      );
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    }
  };

  /** The wire saw exactly the stored stream after `task.created` (subscribed after it): every event once, in seq order. */
  const checkWire = async (got: EventCollector, taskId: string) => {
    const stored = await store.read(taskStream(taskId), 1, 1_000_000, 1_000_000);
    await expectEventually(() => expect(got.all.filter((e) => e.stream === taskStream(taskId)).map((e) => e.id)).toEqual(stored.map((e) => e.id)), 10_000);
  };

  it(`one node: ${CONCURRENCY} concurrent status changes x ${ROUNDS} rounds chain from -> to, ending at the row`, async () => {
    const taskId = await newTask();
    const { got } = await watch(undefined, taskId);
    await race(taskId, [b.url]);
    await checkStored(taskId);
    await checkWire(got, taskId);
  });

  it('two nodes: the same race split over both nodes, watched on both', async () => {
    const taskId = await newTask();
    const onB = await watch(undefined, taskId);
    const onA = await watch(a.url, taskId);
    await race(taskId, [a.url, b.url]);
    await checkStored(taskId);
    await checkWire(onB.got, taskId);
    await checkWire(onA.got, taskId);
    onA.socket.disconnect();
  });

  it('a rollback leaves neither row change nor event, and delivers nothing', async () => {
    const taskId = await newTask();
    const delivered: EventEnvelope[] = [];
    b.app.get(CommittedEvents).subscribe((events) => delivered.push(...events.filter((e) => e.stream === taskStream(taskId))));
    const transactions = b.app.get(EventTransactions);
    const taskEvents = b.app.get(TaskEventsService);
    await expect(
      transactions.run(async (tx) => {
        await tx.task.update({ where: { id: taskId }, data: { status: 'done' } });
        await taskEvents.statusChanged({ taskId, from: 'todo', to: 'done' }, { tx });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const stream = await store.read(taskStream(taskId), 0, 100, 100);
    expect(stream.map((e) => e.type)).toEqual(['task.created']);
    expect(((await b.http('GET', `/tasks/${taskId}`, owner)).body as { status: string }).status).toBe('todo');
    expect(delivered).toEqual([]);
    // Outside a transaction of EventTransactions.run, { tx } is refused instead of silently never delivered.
    await expect(
      b.runtime.database.prisma.$transaction((tx) => taskEvents.statusChanged({ taskId, from: 'todo', to: 'done' }, { tx })),
    ).rejects.toMatchObject({ code: 'invalid_message' });
  });

  it('a node killed after the commit and before fan-out: the event still reaches live sockets on another node', async () => {
    const crashing = await startBackendProcess({
      DATABASE_URL: b.database.url,
      REDIS_KEY_PREFIX: b.runtime.config.redisKeyPrefix,
      NODE_OPTIONS: `--import ${join(__dirname, '../../../../test/preload/crash-after-commit.mjs')}`,
      CRASH_AFTER_COMMIT_TYPE: 'task.status_changed',
    });
    try {
      const taskId = await newTask();
      const { got } = await watch(undefined, taskId);
      const answer = await put(crashing.url, taskId, 'blocked').catch(() => 'connection lost');
      expect(answer).toBe('connection lost');
      expect(crashing.child.signalCode ?? (await new Promise((done) => crashing.child.once('exit', (_c, s) => done(s))))).toBe('SIGKILL');
      const [, change] = await store.read(taskStream(taskId), 0, 10, 10);
      expect(change).toMatchObject({ type: 'task.status_changed', payload: { from: 'todo', to: 'blocked' } });
      await expectEventually(() => expect(got.all.map((e) => e.id)).toContain(change!.id), 5000);
    } finally {
      await crashing.kill();
    }
  });
});
