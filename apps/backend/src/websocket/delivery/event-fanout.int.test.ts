import { expectEventually } from '../../../../../test/eventually';
import { startTestApp, type TestApp } from '../../../../../test/test-app';
import { EventFanout } from './event-fanout.service';

describe('EventFanout over Redis: sends to other nodes only while there are some', () => {
  let a: TestApp;
  let b: TestApp | undefined;

  beforeAll(async () => {
    a = await startTestApp({ redis: true });
  });
  afterAll(async () => {
    await b?.close();
    await a.close();
  });

  it('stops publishing stored batches when alone, starts when a node joins, stops when it leaves', async () => {
    const fanout = a.app.get(EventFanout);
    await expectEventually(() => expect(fanout.sendsToPeers).toBe(false));

    b = await startTestApp({ redis: true, database: a.database, env: { REDIS_KEY_PREFIX: a.runtime.config.redisKeyPrefix } });
    await expectEventually(() => expect(fanout.sendsToPeers).toBe(true));
    expect(b.app.get(EventFanout).sendsToPeers).toBe(true);

    await b.close();
    b = undefined;
    await expectEventually(() => expect(fanout.sendsToPeers).toBe(false));
  });
});
