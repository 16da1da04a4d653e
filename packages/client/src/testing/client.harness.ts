import { RealtimeClient } from '../realtime.client';
import type { RealtimeClientOptions } from '../realtime-client.options';
import { ClientRecorder } from './client.recorder';
import { FakeEventsServer } from './fake-events.server';

/** A fake server plus the clients a test made, all torn down together. */
export class ClientHarness {
  private readonly clients: RealtimeClient[] = [];

  private constructor(readonly server: FakeEventsServer) {}

  static async start(): Promise<ClientHarness> {
    return new ClientHarness(await FakeEventsServer.start());
  }

  /** A client with fast reconnection, recorded from the start; not connected yet. */
  client(options: Partial<RealtimeClientOptions> = {}): { client: RealtimeClient; recorder: ClientRecorder } {
    const client = new RealtimeClient({
      url: this.server.url,
      token: 'alice',
      reconnection: { delayMs: 20, delayMaxMs: 100 },
      ackTimeoutMs: 2_000,
      ...options,
    });
    this.clients.push(client);
    return { client, recorder: new ClientRecorder(client) };
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    await this.server.stop();
  }
}
