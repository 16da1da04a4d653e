import { taskStream, type EventEnvelope, type TaskView } from '@taskdash/contract';
import { delay, expectEventually } from '../../../../../test/eventually';
import { subscribe } from '../../../../../test/event-collector';
import { connected, startTestApp, type TestApp, type TestSocket } from '../../../../../test/test-app';
import { EventPublisher } from '../../events/event-publisher.service';

const TRIALS = 30;
const HISTORY = 6_000;

type Item = { kind: 'event'; event: EventEnvelope } | { kind: 'revoked'; stream: string };

function record(socket: TestSocket): Item[] {
  const items: Item[] = [];
  socket.on('events', (events) => events.forEach((event) => items.push({ kind: 'event', event })));
  socket.on('access_revoked', (notice) => items.push({ kind: 'revoked', stream: notice.stream }));
  return items;
}

/**
 * A member removed while their subscription is still replaying history must receive no
 * event of the stream after its `access_revoked`: not the page whose read was under way
 * when the access went, not a later page, not a live event. The removal lands at a random
 * moment 0-14 ms after the subscribe, the window in which replay pages are read and sent.
 * Checked on the raw wire.
 */
describe('replay and revocation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { CONNECTIONS_PER_SECOND_PER_IP: '1000' } });
  });
  afterAll(() => t.close());

  it(`${TRIALS} trials: a member removed 0-14 ms into a replay of ${HISTORY} events (pages of 500) sees nothing after access_revoked`, async () => {
    const publisher = t.app.get(EventPublisher);
    let revokedMidReplay = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const created = await t.http('POST', '/tasks', 'owner', { title: `race ${trial}`, members: ['rick'] });
      const task = created.body as TaskView;
      const stream = taskStream(task.id);
      await publisher.publishMany(
        Array.from({ length: HISTORY - 1 }, (_, i) => ({
          stream,
          type: 'task.updated' as const,
          payload: { taskId: task.id, changes: { title: `t${i}` } },
        })),
      );
      const rick = t.connect(t.token('rick'));
      await connected(rick);
      const items = record(rick);
      const subscribed = subscribe(rick, [{ stream, position: { seq: 0, epoch: task.position!.epoch } }]);
      await delay(Math.floor(Math.random() * 15));
      const removed = await t.http('DELETE', `/tasks/${task.id}/members/rick`, 'owner');
      expect(removed.status).toBe(200);
      await subscribed;
      // Changes after the removal must not reach rick either.
      await t.http('PATCH', `/tasks/${task.id}`, 'owner', { title: 'after' });
      await expectEventually(() => expect(items.some((i) => i.kind === 'revoked')).toBe(true), 5_000);
      await delay(50);

      const revokedAt = items.findIndex((i) => i.kind === 'revoked');
      const after = items.slice(revokedAt + 1).filter((i) => i.kind === 'event' && i.event.stream === stream);
      expect({ trial, after: after.length }).toEqual({ trial, after: 0 });
      const before = items.slice(0, revokedAt).filter((i) => i.kind === 'event');
      if (before.length < HISTORY) revokedMidReplay++;
      rick.disconnect();
    }
    // The trials exercised the race itself, not only removals before or after the replay.
    expect(revokedMidReplay).toBeGreaterThan(0);
  });
});
