import { executionStream, type EventPayloads } from '@taskdash/contract';
import { expectEventually } from '../../../../test/eventually';
import { startTestApp } from '../../../../test/test-app';
import { createTestDatabase } from '../../../../test/test-database';
import { decodeOutput } from '../executions/output/output-encoding.util';
import { createTask, directOutput, executionEnv, startExecution } from '../executions/testing/execution-test.harness';
import { storedEvents } from '../queue/testing/job-events.fixture';
import { WebsocketLifecycleService } from './websocket-lifecycle.service';

const OWNER = 'drain-owner';

// A SIGTERM drains the sockets first and closes the app after (main.ts); the app's close
// stops the queue's worker, which waits for the running executions. What they still write
// must reach their streams (found by the chaos scenario executions-drain: the publisher
// used to close with the drain, and every later event of a running execution was refused).
describe('websocket lifecycle: drain', () => {
  it('keeps the publisher open for what the shutdown still finishes: a running execution ends in its stream, output whole', async () => {
    const database = await createTestDatabase();
    const node = await startTestApp({ redis: true, database, env: executionEnv() });
    let closed = false;
    try {
      const taskId = await createTask(node, OWNER);
      // About a second of output, in 20 writes.
      const spec = JSON.stringify({ bytes: 4000, writeBytes: 200, pauseMs: 50 });
      const execution = await startExecution(node, OWNER, taskId, 'pattern', spec);
      const stream = executionStream(execution.id);
      await expectEventually(async () => expect((await storedEvents(database.url, stream)).map((e) => e.type)).toContain('execution.output'), 20_000, 20);

      await node.app.get(WebsocketLifecycleService).drain();
      await node.close();
      closed = true;

      const events = await storedEvents(database.url, stream);
      expect(events.at(-1)).toMatchObject({ type: 'execution.finished', payload: { status: 'succeeded' } });
      const output = events.filter((e) => e.type === 'execution.output').map((e) => decodeOutput(e.payload as EventPayloads['execution.output']));
      expect(Buffer.concat(output)).toEqual(directOutput('write-pattern.mjs', spec).stdout);
    } finally {
      if (!closed) await node.close();
      await database.drop();
    }
  });
});
