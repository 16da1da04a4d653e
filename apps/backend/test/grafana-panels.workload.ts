import {
  ErrorCode,
  SYSTEM_STREAM,
  taskStream,
  type EventType,
  type StreamPosition,
  type SubscribeAck,
  type TaskView,
} from '@taskdash/contract';
import { waitFor } from '@taskdash/testkit';
import { Client } from 'pg';
import WebSocket from 'ws';
import { EventCollector, subscribe } from '../../../test/event-collector';
import { expectEventually } from '../../../test/eventually';
import { whileRefused } from '../../../test/refused-events';
import { connected, rejection, type TestApp, type TestSocket } from '../../../test/test-app';
import { EventPublisher } from '../src/events/event-publisher.service';
import { EventStore } from '../src/events/event-store';
import { QueueBridge } from '../src/queue/bridge/queue-bridge.service';
import { ExecutionsQueue } from '../src/queue/executions-queue.service';
import { SIMULATED_JOB } from '../src/queue/handlers/simulated-job.handler';
import { EventFanout } from '../src/websocket/delivery/event-fanout.service';

/**
 * The workload of grafana-panels.int.test.ts: real actions through HTTP, Socket.IO, the event
 * publisher and the job queue, each named after the panels it feeds. Each step checks that it
 * did what it is meant to (the client saw the rejection, the alert fired), so that a blank panel
 * points at the metric, not at a workload that went wrong.
 */

const OWNER = 'olga';
const MEMBER = 'mia';
const STATUSES = ['in_progress', 'blocked', 'done', 'todo'] as const;

export interface FollowedTask {
  taskId: string;
  stream: string;
  /** The owner's socket, subscribed for the whole run (the gauges of sockets and rooms). */
  owner: TestSocket;
  member: TestSocket;
  /** Where the owner's subscription started, before the status changes. */
  position: StreamPosition;
}

/** The value of one series on the backend's own /metrics (0 when absent). */
async function metric(t: TestApp, series: string): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

function positionOf(ack: SubscribeAck): StreamPosition {
  const result = ack.ok ? ack.results[0] : undefined;
  if (!result?.ok) throw new Error(`subscribe failed: ${JSON.stringify(ack)}`);
  return result.position;
}

/**
 * Connected sockets, Subscriptions and rooms, Events published by type, Live deliveries,
 * Publish-to-emit latency, HTTP requests and latency: an owner and a member follow a task while
 * its status changes, and one request matches no route.
 */
export async function followATask(t: TestApp): Promise<FollowedTask> {
  const created = await t.http('POST', '/tasks', OWNER, { title: 'panels', members: [MEMBER] });
  expect(created.status).toBe(201);
  const taskId = (created.body as TaskView).id;
  const stream = taskStream(taskId);
  const owner = t.connect(t.token(OWNER));
  const member = t.connect(t.token(MEMBER));
  const memberGot = new EventCollector(member);
  await Promise.all([connected(owner), connected(member)]);
  const [ownerAck] = await Promise.all([subscribe(owner, [{ stream }]), subscribe(member, [{ stream }])]);
  for (const status of STATUSES)
    expect((await t.http('PUT', `/tasks/${taskId}/status`, OWNER, { status })).status).toBe(200);
  expect((await t.http('GET', `/tasks/${taskId}`, OWNER)).status).toBe(200);
  expect((await t.http('GET', '/no-such-route', OWNER)).status).toBe(404);
  await expectEventually(() =>
    expect(memberGot.all.filter((e) => e.type === 'task.status_changed')).toHaveLength(STATUSES.length),
  );
  return { taskId, stream, owner, member, position: positionOf(ownerAck) };
}

/** Replays by outcome (request: recovered), Live deliveries (replayed): a resume from a position. */
export async function resumeFromAPosition({ owner, stream, position }: FollowedTask): Promise<void> {
  const resumed = await subscribe(owner, [{ stream, position }]);
  expect(resumed.ok && resumed.results[0]).toMatchObject({
    ok: true,
    recovered: true,
    replayed: STATUSES.length,
  });
}

const WAITING_ON_A_LOCK = `SELECT count(*)::int AS n FROM pg_stat_activity
  WHERE datname = current_database() AND wait_event_type = 'Lock'`;

/**
 * Replays by outcome (ended: gone): a client resumes and leaves before its replay starts. The
 * subscribe's access check reads task_members, which a transaction of ours holds locked until
 * the server has seen the socket leave, so the order does not depend on timing.
 */
export async function leaveDuringAReplay(t: TestApp, { stream, position }: FollowedTask): Promise<void> {
  const socket = t.connect(t.token(OWNER));
  await connected(socket);
  const id = socket.id!;
  const namespace = t.app.get(EventFanout).attachedNamespace!;
  const lock = new Client({ connectionString: t.database.url });
  await lock.connect();
  try {
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE task_members IN ACCESS EXCLUSIVE MODE');
    socket.emit('subscribe', { streams: [{ stream, position }] }, () => undefined);
    await waitFor(
      async () => (await lock.query<{ n: number }>(WAITING_ON_A_LOCK)).rows[0]!.n > 0,
      10_000,
      'the access check to wait for the lock',
    );
    socket.disconnect();
    await waitFor(() => !namespace.sockets.has(id), 10_000, 'the server to see the socket leave');
  } finally {
    await lock.query('ROLLBACK');
    await lock.end();
  }
  await expectEventually(async () =>
    expect(await metric(t, 'taskdash_replay_endings_total{outcome="gone"}')).toBe(1),
  );
}

/**
 * Handshake rejections, Refused client messages, Server-side disconnects (rate_limited),
 * Connects and disconnects: two handshakes without a valid token, and a client that floods.
 */
export async function misbehaveAtTheEdge(t: TestApp): Promise<void> {
  expect(await rejection(t.connect(undefined))).toMatchObject({ code: ErrorCode.TokenMissing });
  expect(await rejection(t.connect('not-a-token'))).toMatchObject({ code: ErrorCode.TokenInvalid });
  const flooder = t.connect(t.token('flo'));
  await connected(flooder);
  const closed = new Promise((resolve) => flooder.once('disconnect_reason', resolve));
  // Past the burst (twice MESSAGES_PER_SECOND) every message is refused; 20 refusals close the socket.
  for (let i = 0; i < 100; i++) flooder.emit('unsubscribe', { streams: [SYSTEM_STREAM] }, () => undefined);
  expect(await closed).toMatchObject({ code: ErrorCode.RateLimited });
}

/** Permission revocation latency: a member is removed from the task their socket follows. */
export async function removeAMember(t: TestApp, { taskId, stream, member }: FollowedTask): Promise<void> {
  const revoked = new Promise((resolve) => member.once('access_revoked', resolve));
  expect((await t.http('DELETE', `/tasks/${taskId}/members/${MEMBER}`, OWNER)).status).toBe(200);
  expect(await revoked).toMatchObject({ stream, code: ErrorCode.AccessRevoked });
}

/**
 * Server-side disconnects (slow_consumer) and slow viewers: a client that stops reading its
 * socket while its task gets large updates. It speaks Engine.IO by hand (socket.io-client
 * cannot stop reading); the updates go on until the server closes it (bounded), since how
 * much the kernel buffers first varies.
 */
export async function stopReading(t: TestApp): Promise<void> {
  const taskId = ((await t.http('POST', '/tasks', 'sid', { title: 'slow' })).body as TaskView).id;
  const stream = taskStream(taskId);
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const frames: string[] = [];
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    frames.push(text);
    if (text === '2') ws.send('3'); // heartbeat
  });
  try {
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(`40/events,${JSON.stringify({ token: t.token('sid') })}`);
    await expectEventually(() => expect(frames.some((f) => f.startsWith('40/events'))).toBe(true));
    ws.send(`42/events,1${JSON.stringify(['subscribe', { streams: [{ stream }] }])}`);
    await expectEventually(() => expect(frames.some((f) => f.startsWith('43/events,1'))).toBe(true));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const publisher = t.app.get(EventPublisher);
    const description = 'x'.repeat(9000);
    const update = () =>
      publisher.publish({ stream, type: 'task.updated', payload: { taskId, changes: { description } } });
    const slow = 'taskdash_ws_slow_viewer_actions_total{action="disconnected"}';
    // 450 KB a round, at most ~45 MB.
    for (let round = 0; (await metric(t, slow)) === 0; round++) {
      if (round === 100) throw new Error('a client that stopped reading was never disconnected');
      await Promise.all(Array.from({ length: 50 }, update));
    }
  } finally {
    ws.terminate();
  }
}

/**
 * Backlog, store errors, refusals: PostgreSQL refuses an event (a trigger) until its publish
 * gives up with outcome_unknown; every failed attempt is a store error, the end a store_timeout.
 */
export async function failAStoreWrite(t: TestApp, taskId: string): Promise<void> {
  const publisher = t.app.get(EventPublisher);
  await whileRefused(t.runtime.database.prisma, ['task.updated'], () =>
    expect(
      publisher.publish({
        stream: taskStream(taskId),
        type: 'task.updated',
        payload: { taskId, changes: { title: 'refused' } },
      }),
    ).rejects.toMatchObject({ code: ErrorCode.OutcomeUnknown }),
  );
}

async function eventually(t: TestApp, stream: string, type: EventType, count: number): Promise<void> {
  const store = t.app.get(EventStore);
  await expectEventually(
    async () => {
      const events = await store.read(stream, 0, Number.MAX_SAFE_INTEGER, 100_000);
      expect(events.filter((e) => e.type === type).length).toBeGreaterThanOrEqual(count);
    },
    30_000,
    50,
  );
}

/**
 * Queue bridge lag, Jobs finished, Queue depth and the alert panels: jobs run through the real
 * queue and worker and one fails; then, the worker paused, a backlog raises QueueBacklogHigh,
 * an operator acknowledges it (the reports of the samples after are suppressed), and it resolves
 * once the worker runs again.
 */
export async function runJobsAndABacklog(t: TestApp, taskId: string): Promise<void> {
  await expectEventually(() => expect(t.app.get(QueueBridge).isLeader).toBe(true), 10_000);
  const queue = t.app.get(ExecutionsQueue);
  const stream = taskStream(taskId);
  await Promise.all(Array.from({ length: 3 }, () => queue.add(SIMULATED_JOB, { taskId, steps: 5 })));
  await queue.add(SIMULATED_JOB, { taskId, steps: 1, fail: true });
  await eventually(t, stream, 'job.completed', 3);
  await eventually(t, stream, 'job.failed', 1);

  await queue.bull.pause();
  await Promise.all(Array.from({ length: 4 }, () => queue.add(SIMULATED_JOB, { taskId, steps: 1 })));
  await eventually(t, SYSTEM_STREAM, 'system.alert_firing', 1);
  const open = await t.http('GET', '/alerts', 'otto', undefined, 'operator');
  const [alert] = (open.body as { alerts: { fingerprint: string; alertname: string }[] }).alerts;
  expect(alert?.alertname).toBe('QueueBacklogHigh');
  const ack = await t.http('POST', `/alerts/${alert!.fingerprint}/ack`, 'otto', undefined, 'operator');
  expect(ack).toMatchObject({ status: 200, body: { changed: true } });
  // Still firing, now acknowledged: the next health samples' reports are suppressed, not announced.
  const suppressed = 'taskdash_alerts_suppressed_total{alertname="QueueBacklogHigh",reason="acknowledged"}';
  await expectEventually(async () => expect(await metric(t, suppressed)).toBeGreaterThan(0), 10_000, 50);
  await queue.bull.resume();
  await eventually(t, SYSTEM_STREAM, 'system.alert_resolved', 1);
}
