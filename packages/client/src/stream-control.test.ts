import { executionStream, type OutputSkippedNotice, type StreamControlRequest } from '@taskdash/contract';
import { randomUUID } from 'node:crypto';
import { ClientHarness } from './testing/client.harness';
import { waitFor } from './testing/wait-for.util';

describe('RealtimeClient stream control', () => {
  let harness: ClientHarness;
  beforeEach(async () => {
    harness = await ClientHarness.start();
  });
  afterEach(() => harness.stop());

  const subscribed = async (stream: string) => {
    const made = harness.client();
    made.client.connect();
    await waitFor(() => made.client.state === 'connected', 'connected');
    await made.client.subscribe(stream);
    return made;
  };

  /** Answers `stream_control` on every connected socket as the server would after a tail to `seq`. */
  const answerControls = (stream: string, seq: () => number, requests: StreamControlRequest[]) => {
    for (const socket of harness.server.sockets()) {
      socket.on('stream_control', (request, ack) => {
        requests.push(request);
        ack({
          ok: true,
          stream,
          state: request.action === 'pause' ? 'paused' : 'catching_up',
          position: { seq: seq(), epoch: harness.server.head(stream).epoch },
          offset: 4096,
        });
      });
    }
  };

  it('continues after a tail from the answered position without reporting a gap', async () => {
    const stream = executionStream(randomUUID());
    const { client, recorder } = await subscribed(stream);
    harness.server.publish(stream, 2);
    await waitFor(() => recorder.seqs(stream).length === 2, '2 events');
    const requests: StreamControlRequest[] = [];
    answerControls(stream, () => 5, requests);
    harness.server.append(stream, 3); // 3..5 are skipped by the tail

    const ack = await client.control(stream, 'tail', { bytes: 1024 });
    harness.server.publish(stream, 2);

    await waitFor(() => recorder.seqs(stream).includes(7), 'event 7');
    expect(ack).toMatchObject({ ok: true, offset: 4096, position: { seq: 5 } });
    expect(requests).toEqual([{ stream, action: 'tail', bytes: 1024 }]);
    expect(recorder.seqs(stream)).toEqual([1, 2, 6, 7]);
    expect(recorder.reloads).toEqual([]);
  });

  it('never moves back when a tail starts before what was delivered', async () => {
    const stream = executionStream(randomUUID());
    const { client, recorder } = await subscribed(stream);
    const sent = harness.server.publish(stream, 4);
    await waitFor(() => recorder.seqs(stream).length === 4, '4 events');
    answerControls(stream, () => 1, []);

    await client.control(stream, 'tail');
    harness.server.emitRaw(stream, sent.slice(1)); // the catch-up sends 2..4 again
    harness.server.publish(stream);

    await waitFor(() => recorder.seqs(stream).includes(5), 'event 5');
    expect(recorder.seqs(stream)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports skipped output and continues after it without a reload', async () => {
    const stream = executionStream(randomUUID());
    const { client, recorder } = await subscribed(stream);
    const skipped: OutputSkippedNotice[] = [];
    client.on('output_skipped', (notice) => skipped.push(notice));
    harness.server.publish(stream);
    await waitFor(() => recorder.seqs(stream).length === 1, 'event 1');
    harness.server.append(stream, 2);
    const notice: OutputSkippedNotice = { stream, fromSeq: 2, toSeq: 3, from: 10, to: 90, reason: 'slow_consumer' };
    for (const socket of harness.server.sockets()) socket.emit('output_skipped', notice);
    harness.server.publish(stream);

    await waitFor(() => recorder.seqs(stream).includes(4), 'event 4');
    expect(skipped).toEqual([notice]);
    expect(recorder.seqs(stream)).toEqual([1, 4]);
    expect(recorder.reloads).toEqual([]);
  });

  it('refuses to send a control while disconnected', async () => {
    const { client } = harness.client();
    await expect(client.control(executionStream(randomUUID()), 'pause')).rejects.toMatchObject({ code: 'closed' });
  });
});
