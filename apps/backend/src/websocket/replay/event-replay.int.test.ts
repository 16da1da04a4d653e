import { randomUUID } from 'node:crypto';
import { ErrorCode, taskStream, type SubscribeResult } from '@taskdash/contract';
import { delay, expectEventually } from '../../../../../test/eventually';
import { EventCollector, range, subscribe } from '../../../../../test/event-collector';
import { connected, startTestApp, type TestApp } from '../../../../../test/test-app';
import { EventPublisher } from '../../events/event-publisher.service';
import { EventStore } from '../../events/event-store';
import { RetentionService } from '../../events/retention.service';
import { prismaExecutor } from '../../events/sql-executor';

describe('replay on resubscribe', () => {
  let t: TestApp;
  let publisher: EventPublisher;

  beforeAll(async () => {
    t = await startTestApp({ websocket: { replay: { maxEvents: 500, pageSize: 50 } } });
    publisher = t.app.get(EventPublisher);
  });
  afterAll(() => t.close());

  /** A task owned by `owner`, created through the API, so permissions are real. */
  async function newTask(owner: string): Promise<string> {
    const created = await t.http('POST', '/tasks', owner, { title: 'replay' });
    return (created.body as { id: string }).id;
  }

  const publishN = async (taskId: string, n: number) => {
    for (let i = 0; i < n; i++) {
      await publisher.publish({ stream: taskStream(taskId), type: 'task.updated', payload: { taskId, changes: { title: `t${i}` } } });
    }
  };

  const ok = (result: SubscribeResult | undefined) => {
    if (!result?.ok) throw new Error(`subscription failed: ${JSON.stringify(result)}`);
    return result;
  };

  it('publish 100, disconnect, publish 50, reconnect: exactly seq 101..150 arrive in order, then live events, no duplicate', async () => {
    const taskId = await newTask('ann');
    const stream = taskStream(taskId);
    const first = t.connect(t.token('ann'));
    const before = new EventCollector(first);
    await connected(first);
    const subscribed = await subscribe(first, [{ stream }]);
    const initial = ok(subscribed.ok ? subscribed.results[0] : undefined);
    expect(initial.position.seq).toBe(1); // task.created
    await publishN(taskId, 99);
    await expectEventually(() => expect(before.seqs(stream)).toEqual(range(2, 100)));
    const position = { seq: 100, epoch: initial.position.epoch };
    first.disconnect();

    await publishN(taskId, 50);
    const second = t.connect(t.token('ann'));
    const after = new EventCollector(second);
    await connected(second);
    const answer = await subscribe(second, [{ stream, position }]);
    const result = ok(answer.ok ? answer.results[0] : undefined);
    expect(result).toMatchObject({ recovered: true, replayed: 50, position: { seq: 150 } });
    await publishN(taskId, 5);
    await expectEventually(() => expect(after.seqs(stream)).toEqual(range(101, 155)));
  });

  it('a replay racing with live publishing loses nothing and duplicates nothing (repeated with random timing)', async () => {
    const taskId = await newTask('bob');
    const stream = taskStream(taskId);
    await publishN(taskId, 20);
    const [head] = await t.app.get(EventStore).heads([stream]);
    for (let round = 0; round < 15; round++) {
      const socket = t.connect(t.token('bob'));
      const got = new EventCollector(socket);
      await connected(socket);
      const from = Math.floor(Math.random() * 20);
      // Publish concurrently with the subscription, with random spacing.
      const burst = (async () => {
        for (let i = 0; i < 30; i++) {
          await publisher.publish({ stream, type: 'task.updated', payload: { taskId, changes: { description: `${round}-${i}` } } });
          if (Math.random() < 0.3) await delay(Math.random() * 3);
        }
      })();
      await delay(Math.random() * 5);
      const answer = await subscribe(socket, [{ stream, position: { seq: from, epoch: head!.epoch } }]);
      ok(answer.ok ? answer.results[0] : undefined);
      await burst;
      const [now] = await t.app.get(EventStore).heads([stream]);
      await expectEventually(() => expect(got.seqs(stream)).toEqual(range(from + 1, now!.lastSeq)));
      socket.disconnect();
    }
  });

  it('refuses with too_many_missed and sends none of them when more were missed than the cap', async () => {
    const taskId = await newTask('cat');
    const stream = taskStream(taskId);
    const socket = t.connect(t.token('cat'));
    const got = new EventCollector(socket);
    await connected(socket);
    const first = await subscribe(socket, [{ stream }]);
    const epoch = ok(first.ok ? first.results[0] : undefined).position.epoch;
    socket.emit('unsubscribe', { streams: [stream] }, () => undefined);
    await publishN(taskId, 520);
    got.all.length = 0;
    const answer = await subscribe(socket, [{ stream, position: { seq: 1, epoch } }]);
    const result = ok(answer.ok ? answer.results[0] : undefined);
    expect(result).toMatchObject({ recovered: false, reason: ErrorCode.TooManyMissed, replayed: 0, position: { seq: 521 } });
    await publishN(taskId, 1);
    await expectEventually(() => expect(got.seqs(stream)).toEqual([522]));
  });

  it('refuses with history_reset for another epoch and position_invalid for a seq ahead of the head', async () => {
    const taskId = await newTask('dan');
    const stream = taskStream(taskId);
    const socket = t.connect(t.token('dan'));
    await connected(socket);
    const first = await subscribe(socket, [{ stream }]);
    const { epoch } = ok(first.ok ? first.results[0] : undefined).position;
    const reset = await subscribe(socket, [{ stream, position: { seq: 1, epoch: randomUUID() } }]);
    expect(reset.ok && reset.results[0]).toMatchObject({ recovered: false, reason: ErrorCode.HistoryReset });
    const ahead = await subscribe(socket, [{ stream, position: { seq: 99, epoch } }]);
    expect(ahead.ok && ahead.results[0]).toMatchObject({ recovered: false, reason: ErrorCode.PositionInvalid });
  });

  it('after a retention purge, resuming from a purged position reports history_expired and delivers nothing', async () => {
    const taskId = await newTask('eve');
    const stream = taskStream(taskId);
    const socket = t.connect(t.token('eve'));
    const got = new EventCollector(socket);
    await connected(socket);
    const first = await subscribe(socket, [{ stream }]);
    const { epoch } = ok(first.ok ? first.results[0] : undefined).position;
    socket.emit('unsubscribe', { streams: [stream] }, () => undefined);
    await publishN(taskId, 30);
    const sql = prismaExecutor(t.runtime.database.prisma);
    const retention = new RetentionService(sql, { maxAgeMs: 3600_000, maxPerStream: 10, intervalMs: 0 });
    const purged = await retention.purge();
    expect(purged.events).toBeGreaterThanOrEqual(21);
    got.all.length = 0;
    const answer = await subscribe(socket, [{ stream, position: { seq: 5, epoch } }]);
    expect(answer.ok && answer.results[0]).toMatchObject({ recovered: false, reason: ErrorCode.HistoryExpired, replayed: 0 });
    // Within the retained window it still recovers.
    const within = await subscribe(socket, [{ stream, position: { seq: 25, epoch } }]);
    expect(within.ok && within.results[0]).toMatchObject({ recovered: true, replayed: 6 });
    await expectEventually(() => expect(got.seqs(stream)).toEqual(range(26, 31)));
  });
});
