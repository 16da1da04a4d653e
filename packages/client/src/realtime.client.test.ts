import { MAX_STREAMS_PER_REQUEST, taskStream, userStream } from '@taskdash/contract';
import { randomUUID } from 'node:crypto';
import { LocalStoragePositionStore } from './local-storage-position.store';
import { RealtimeException } from './realtime.exception';
import { ClientHarness } from './testing/client.harness';
import { MemoryStorage } from './testing/memory.storage';
import { waitFor } from './testing/wait-for.util';

const newTask = (): string => taskStream(randomUUID());

describe('RealtimeClient', () => {
  let harness: ClientHarness;
  beforeEach(async () => {
    harness = await ClientHarness.start();
  });
  afterEach(() => harness.stop());

  const connected = async (options = {}) => {
    const made = harness.client(options);
    made.client.connect();
    await waitFor(() => made.client.state === 'connected', 'connected');
    return made;
  };

  /** Closes the socket from the server side, as a restart or a kick does. */
  const kick = (): void => {
    harness.server.namespace.disconnectSockets();
  };

  it('delivers events to global and per-stream listeners in seq order', async () => {
    const { client, recorder } = await connected();
    const [a, b] = [newTask(), newTask()];
    await client.subscribe([a, b]);
    const ofA: number[] = [];
    const off = client.onStream(a, (e) => ofA.push(e.seq));
    harness.server.publish(a, 3);
    harness.server.publish(b, 2);
    await waitFor(() => recorder.events.length === 5, '5 events');
    expect(ofA).toEqual([1, 2, 3]);
    expect(recorder.seqs(b)).toEqual([1, 2]);
    off();
    harness.server.publish(a);
    await waitFor(() => recorder.seqs(a).length === 4, 'a#4');
    expect(ofA).toEqual([1, 2, 3]);
    expect(client.position(a)).toEqual(harness.server.head(a));
  });

  it('drops duplicated events', async () => {
    const { client, recorder } = await connected();
    const a = newTask();
    await client.subscribe(a);
    const first = harness.server.publish(a, 2);
    harness.server.emitRaw(a, first);
    harness.server.publish(a);
    await waitFor(() => recorder.seqs(a).includes(3), 'a#3');
    expect(recorder.seqs(a)).toEqual([1, 2, 3]);
    expect(recorder.reloads).toEqual([]);
  });

  it('reports a gap as a reload instead of a silent hole', async () => {
    const { client, recorder } = await connected();
    const a = newTask();
    await client.subscribe(a);
    harness.server.publish(a);
    harness.server.append(a, 2); // never sent
    harness.server.publish(a);
    await waitFor(() => recorder.seqs(a).includes(4), 'a#4');
    expect(recorder.seqs(a)).toEqual([1, 4]);
    expect(recorder.reloads).toEqual([
      { stream: a, reason: 'gap', position: { ...harness.server.head(a), seq: 3 } },
    ]);
  });

  it('resubscribes every stream from its last position in one message after a server-side disconnect', async () => {
    const { client, recorder } = await connected();
    const [a, b] = [newTask(), newTask()];
    await client.subscribe([a, b]);
    harness.server.publish(a, 2);
    harness.server.publish(b);
    await waitFor(() => recorder.events.length === 3, '3 events');
    const sent = harness.server.subscribeRequests.length;
    kick();
    await waitFor(() => client.state === 'reconnecting', 'reconnecting');
    harness.server.append(a, 2); // happens while the client is away
    await waitFor(() => client.state === 'resumed', 'resumed');
    expect(harness.server.subscribeRequests.slice(sent)).toEqual([
      {
        streams: [
          { stream: a, position: { seq: 2, epoch: harness.server.head(a).epoch } },
          { stream: b, position: { seq: 1, epoch: harness.server.head(b).epoch } },
        ],
      },
    ]);
    await waitFor(() => recorder.seqs(a).length === 4, 'replay of a');
    expect(recorder.seqs(a)).toEqual([1, 2, 3, 4]);
    expect(recorder.reloads).toEqual([]);
    expect(recorder.states).toEqual(['connecting', 'connected', 'reconnecting', 'resumed']);
  });

  it('resumes after a lost transport, which socket.io-client reconnects by itself', async () => {
    const { client, recorder } = await connected();
    const a = newTask();
    await client.subscribe(a);
    harness.server.publish(a);
    await waitFor(() => recorder.seqs(a).length === 1, 'a#1');
    harness.server.sockets()[0]!.conn.close();
    await waitFor(() => client.state === 'reconnecting', 'reconnecting');
    harness.server.append(a);
    await waitFor(() => client.state === 'resumed', 'resumed');
    await waitFor(() => recorder.seqs(a).length === 2, 'a#2');
    expect(recorder.seqs(a)).toEqual([1, 2]);
  });

  it.each(['after-ack', 'before-ack'] as const)(
    'resumes user:<sub> without a false gap when live events overtake the replay (replay %s)',
    async (order) => {
      const { client, recorder } = await connected();
      const user = userStream('alice');
      await client.subscribe(user);
      harness.server.publish(user);
      await waitFor(() => recorder.seqs(user).length === 1, 'user#1');
      kick();
      await waitFor(() => client.state === 'reconnecting', 'reconnecting');
      harness.server.append(user, 2);
      harness.server.replayOrder = order;
      let injected = false;
      harness.server.beforeAnswer = () => {
        // The server joined user:<sub> live on connect: this event reaches the client
        // before the acknowledgement, and again in the replay.
        if (!injected) harness.server.publish(user);
        injected = true;
      };
      await waitFor(() => client.state === 'resumed', 'resumed');
      await waitFor(() => recorder.seqs(user).length === 4, 'user#4');
      expect(recorder.seqs(user)).toEqual([1, 2, 3, 4]);
      expect(recorder.reloads).toEqual([]);
    },
  );

  it('asks for a reload when the server cannot recover a stream (recovered: false)', async () => {
    const { client, recorder } = await connected();
    const [a, b] = [newTask(), newTask()];
    await client.subscribe([a, b]);
    harness.server.publish(a);
    harness.server.publish(b);
    await waitFor(() => recorder.events.length === 2, '2 events');
    kick();
    await waitFor(() => client.state === 'reconnecting', 'reconnecting');
    harness.server.resetEpoch(a);
    harness.server.append(a, 2);
    harness.server.append(b, 3);
    harness.server.maxReplay = 2;
    await waitFor(() => recorder.reloads.length === 2, '2 reloads');
    expect(recorder.reloads).toEqual([
      { stream: a, reason: 'history_reset', position: harness.server.head(a) },
      { stream: b, reason: 'too_many_missed', position: harness.server.head(b) },
    ]);
    expect(client.position(a)).toEqual(harness.server.head(a));
    harness.server.publish(a);
    await waitFor(() => recorder.seqs(a).length === 2, 'a after reload');
    expect(recorder.seqs(a)).toEqual([1, 3]);
    expect(recorder.reloads).toHaveLength(2);
  });

  it(`splits subscribes into messages of at most ${MAX_STREAMS_PER_REQUEST} streams, also when resubscribing`, async () => {
    const { client } = await connected();
    const streams = Array.from({ length: MAX_STREAMS_PER_REQUEST + 50 }, newTask);
    const results = await client.subscribe(streams);
    expect(results.map((r) => r.stream)).toEqual(streams);
    const sizes = () => harness.server.subscribeRequests.map((r) => r.streams.length);
    expect(sizes()).toEqual([100, 50]);
    kick();
    await waitFor(() => client.state === 'resumed', 'resumed');
    expect(sizes()).toEqual([100, 50, 100, 50]);
  });

  it('returns refusals per stream and does not remember refused streams', async () => {
    const { client } = await connected();
    const a = newTask();
    const [forbidden, ok] = await client.subscribe(['forbidden:x', a]);
    expect(forbidden).toEqual({
      stream: 'forbidden:x',
      ok: false,
      error: { code: 'forbidden', message: 'no' },
    });
    expect(ok).toMatchObject({ stream: a, ok: true, recovered: false });
    expect(client.streams).toEqual([a]);
  });

  it('unsubscribes on the server, forgets the position and stops resubscribing', async () => {
    const { client, recorder } = await connected();
    const [a, b] = [newTask(), newTask()];
    await client.subscribe([a, b]);
    harness.server.publish(a);
    await waitFor(() => recorder.seqs(a).length === 1, 'a#1');
    await client.unsubscribe(a);
    expect(harness.server.unsubscribeRequests).toEqual([{ streams: [a] }]);
    expect(client.position(a)).toBeUndefined();
    kick();
    await waitFor(() => client.state === 'resumed', 'resumed');
    expect(harness.server.subscribeRequests.at(-1)).toEqual({
      streams: [{ stream: b, position: expect.anything() }],
    });
  });

  it('forgets a stream whose access was revoked', async () => {
    const { client, recorder } = await connected();
    const [a, b] = [newTask(), newTask()];
    await client.subscribe([a, b]);
    harness.server
      .sockets()[0]!
      .emit('access_revoked', { stream: a, code: 'access_revoked', message: 'gone' });
    await waitFor(() => recorder.revoked.length === 1, 'access_revoked');
    expect(recorder.revoked[0]).toEqual({ stream: a, code: 'access_revoked', message: 'gone' });
    expect(client.streams).toEqual([b]);
  });

  it('turns a replay cut short by purged history (access_revoked: history_expired) into a reload', async () => {
    const { client, recorder } = await connected();
    const a = newTask();
    await client.subscribe(a);
    harness.server.publish(a, 3);
    await waitFor(() => recorder.seqs(a).length === 3, 'a#3');
    harness.server.append(a, 3);
    harness.server.purge(a, 5);
    harness.server
      .sockets()[0]!
      .emit('access_revoked', { stream: a, code: 'history_expired', message: 'purged' });
    await waitFor(() => recorder.reloads.length === 1, 'reload');
    expect(recorder.reloads).toEqual([
      { stream: a, reason: 'history_expired', position: harness.server.head(a) },
    ]);
    expect(recorder.revoked).toEqual([]);
    expect(client.streams).toEqual([a]);
    harness.server.publish(a);
    await waitFor(() => recorder.seqs(a).length === 4, 'a#7');
    expect(recorder.seqs(a)).toEqual([1, 2, 3, 7]);
  });

  it('answers a subscribe made before connecting once connected', async () => {
    const { client } = harness.client();
    const a = newTask();
    const pending = client.subscribe(a);
    client.connect();
    await expect(pending).resolves.toEqual([expect.objectContaining({ stream: a, ok: true })]);
    await waitFor(() => client.state === 'connected', 'connected');
  });

  it('rejects an unanswered subscribe with timeout, and a pending one on close', async () => {
    const { client, recorder } = await connected({ ackTimeoutMs: 100 });
    harness.server.silent = true;
    const a = newTask();
    await expect(client.subscribe(a)).rejects.toMatchObject({ code: 'timeout' });
    expect(client.streams).toEqual([]);
    const pending = client.subscribe(newTask());
    client.close();
    await expect(pending).rejects.toBeInstanceOf(RealtimeException);
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    expect(recorder.states.at(-1)).toBe('disconnected');
  });

  it('resumes from positions kept in a LocalStoragePositionStore after a restart', async () => {
    const storage = new MemoryStorage();
    const a = newTask();
    const first = await connected({
      positionStore: new LocalStoragePositionStore({ storage, prefix: 'alice:' }),
    });
    await first.client.subscribe(a);
    harness.server.publish(a, 2);
    await waitFor(() => first.recorder.seqs(a).length === 2, 'a#2');
    first.client.close();
    expect(JSON.parse(storage.getItem(`alice:${a}`)!)).toEqual(harness.server.head(a));
    harness.server.append(a, 2);

    const second = await connected({
      positionStore: new LocalStoragePositionStore({ storage, prefix: 'alice:' }),
    });
    await second.client.subscribe(a);
    expect(harness.server.subscribeRequests.at(-1)).toEqual({
      streams: [{ stream: a, position: { seq: 2, epoch: harness.server.head(a).epoch } }],
    });
    await waitFor(() => second.recorder.seqs(a).length === 2, 'replay after restart');
    expect(second.recorder.seqs(a)).toEqual([3, 4]);
    expect(second.recorder.reloads).toEqual([]);
  });
});
