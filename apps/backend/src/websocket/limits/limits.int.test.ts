import { ErrorCode, taskStream, type SubscribeAck } from '@taskdash/contract';
import { expectEventually } from '../../../../../test/eventually';
import { EventCollector, subscribe } from '../../../../../test/event-collector';
import { connected, rejection, startTestApp, type TestApp, type TestSocket } from '../../../../../test/test-app';

const emitRaw = (socket: TestSocket, event: string, ...args: unknown[]) =>
  (socket.emit as unknown as (event: string, ...args: unknown[]) => void)(event, ...args);

describe('limits on sockets', () => {
  let t: TestApp;
  let taskId: string;
  let bystander: TestSocket;
  let seen: EventCollector;

  beforeAll(async () => {
    t = await startTestApp({
      env: { MAX_MESSAGE_BYTES: '4096', MESSAGES_PER_SECOND: '5', MAX_CONNECTIONS_PER_USER: '3', CONNECTIONS_PER_SECOND_PER_IP: '8', MAX_SUBSCRIPTIONS_PER_SOCKET: '4' },
    });
    taskId = ((await t.http('POST', '/tasks', 'bea', { title: 'limits' })).body as { id: string }).id;
    bystander = t.connect(t.token('bea'));
    seen = new EventCollector(bystander);
    await connected(bystander);
    await subscribe(bystander, [{ stream: taskStream(taskId) }]);
  });
  afterAll(() => t.close());

  /** Other clients' events keep flowing after each abuse. */
  async function othersStillServed(): Promise<void> {
    const before = seen.all.length;
    await t.http('PATCH', `/tasks/${taskId}`, 'bea', { title: `still here ${before}` });
    await expectEventually(() => expect(seen.all.length).toBe(before + 1));
    expect(bystander.connected).toBe(true);
  }

  it('an oversized message gets message_too_large and the socket stays usable', async () => {
    const socket = t.connect(t.token('big'));
    await connected(socket);
    const answer = await new Promise<SubscribeAck>((resolve) =>
      emitRaw(socket, 'subscribe', { streams: [{ stream: 'x'.repeat(10_000) }] }, resolve),
    );
    expect(answer).toEqual({ ok: false, error: { code: ErrorCode.MessageTooLarge, message: expect.any(String) } });
    expect(socket.connected).toBe(true);
    await othersStillServed();
  });

  it('a message flood gets rate_limited answers, then a disconnect with rate_limited', async () => {
    const socket = t.connect(t.token('flood'));
    await connected(socket);
    const codes: string[] = [];
    const reason = new Promise<string>((resolve) => socket.once('disconnect_reason', (n) => resolve(n.code)));
    for (let i = 0; i < 60; i++) {
      emitRaw(socket, 'unsubscribe', { streams: ['system'] }, (answer: { ok: boolean; error?: { code: string } }) => {
        if (!answer.ok) codes.push(answer.error!.code);
      });
    }
    expect(await reason).toBe(ErrorCode.RateLimited);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set([ErrorCode.RateLimited]));
    await expectEventually(() => expect(socket.connected).toBe(false));
    await othersStillServed();
  });

  it('too many connections of one user are refused with too_many_connections', async () => {
    const sockets = [t.connect(t.token('many')), t.connect(t.token('many')), t.connect(t.token('many'))];
    await Promise.all(sockets.map(connected));
    expect(await rejection(t.connect(t.token('many')))).toMatchObject({ code: ErrorCode.TooManyConnections });
    sockets[0]!.disconnect();
    await expectEventually(async () => connected(t.connect(t.token('many'))), 3000, 100);
    await othersStillServed();
  });

  it('too many subscriptions on one socket get too_many_subscriptions', async () => {
    const socket = t.connect(t.token('subs', 'admin'));
    await connected(socket); // the user stream is subscription 1
    const answer = await subscribe(socket, [{ stream: 'system' }, { stream: 'queue:a' }, { stream: 'queue:b' }, { stream: 'queue:c' }]);
    expect(answer.ok && answer.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'ok', ErrorCode.TooManySubscriptions]);
    await othersStillServed();
  });
  // Last: it uses up this address's handshake budget for a moment.
  it('a connection flood from one address is refused with rate_limited', async () => {
    const attempts = Array.from({ length: 40 }, (_, i) => t.connect(t.token(`crowd-${i}`)));
    const outcomes = await Promise.all(
      attempts.map((socket) => connected(socket).then(() => 'ok', (error: { data?: { code: string } }) => error.data?.code)),
    );
    expect(outcomes).toContain(ErrorCode.RateLimited);
    attempts.forEach((socket) => socket.disconnect());
    await othersStillServed();
  });
});
