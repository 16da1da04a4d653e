import { taskStream } from '@taskdash/contract';
import { randomUUID } from 'node:crypto';
import { ClientHarness } from './testing/client.harness';
import { waitFor } from './testing/wait-for.util';

// The supervisor is exercised through RealtimeClient against a real Socket.IO server.
describe('ConnectionSupervisor', () => {
  let harness: ClientHarness;
  beforeEach(async () => {
    harness = await ClientHarness.start();
  });
  afterEach(() => harness.stop());

  it('connects over websocket with the token in auth, never in the query', async () => {
    const { client, recorder } = harness.client();
    client.connect();
    await waitFor(() => client.state === 'connected', 'connected');
    const [socket] = harness.server.sockets();
    expect(socket!.handshake.auth).toEqual({ token: 'alice' });
    expect(JSON.stringify(socket!.handshake.query)).not.toContain('alice');
    expect(socket!.conn.transport.name).toBe('websocket');
    expect(recorder.states).toEqual(['connecting', 'connected']);
  });

  it('fails without retrying when the handshake is refused with a non-reconnectable code', async () => {
    harness.server.authorize = () => ({ code: 'token_invalid', message: 'bad signature' });
    const { client, recorder } = harness.client();
    client.connect();
    await waitFor(() => client.state === 'failed', 'failed');
    expect(recorder.changes.at(-1)).toEqual({
      state: 'failed',
      previous: 'connecting',
      error: { code: 'token_invalid', message: 'bad signature' },
    });
    expect(recorder.errors.map((e) => e.code)).toEqual(['token_invalid']);
    // connect() again is the only way back; exactly one more handshake proves no retry ran.
    harness.server.authorize = () => undefined;
    client.connect();
    await waitFor(() => client.state === 'connected', 'connected');
    expect(harness.server.handshakeTokens).toHaveLength(2);
  });

  it('asks the token provider again on every attempt, so an expired token is refreshed', async () => {
    harness.server.authorize = (token) =>
      token === 'stale' ? { code: 'token_expired', message: 'expired' } : undefined;
    const tokens = ['stale', 'alice', 'alice'];
    let calls = 0;
    const { client } = harness.client({ token: async () => tokens[calls++] ?? 'alice' });
    client.connect();
    await waitFor(() => client.state === 'connected', 'connected');
    expect(harness.server.handshakeTokens).toEqual(['stale', 'alice']);
    harness.server.namespace.disconnectSockets();
    await waitFor(() => client.state === 'resumed', 'resumed');
    expect(calls).toBe(3);
  });

  it('fails when a fixed token has expired, since retrying cannot refresh it', async () => {
    harness.server.authorize = () => ({ code: 'token_expired', message: 'expired' });
    const { client, recorder } = harness.client({ token: 'stale' });
    client.connect();
    await waitFor(() => client.state === 'failed', 'failed');
    expect(recorder.changes.at(-1)?.error?.code).toBe('token_expired');
  });

  it('reports a failing token provider and tries again with backoff', async () => {
    let calls = 0;
    const { client, recorder } = harness.client({
      token: () => {
        if (calls++ === 0) throw new Error('refresh endpoint down');
        return 'alice';
      },
    });
    client.connect();
    await waitFor(() => client.state === 'connected', 'connected');
    expect(recorder.errors.map((e) => e.code)).toEqual(['token_provider_failed']);
    expect(harness.server.handshakeTokens).toEqual(['alice']);
  });

  it('gives up after the configured attempts while the server keeps refusing', async () => {
    harness.server.authorize = () => ({ code: 'rate_limited', message: 'slow down' });
    const { client, recorder } = harness.client({
      reconnection: { attempts: 2, delayMs: 10, delayMaxMs: 20 },
    });
    client.connect();
    await waitFor(() => client.state === 'failed', 'failed');
    expect(recorder.changes.at(-1)?.error?.code).toBe('reconnect_failed');
    expect(harness.server.handshakeTokens).toHaveLength(3);
  });

  it('waits at least retryAfterMs from disconnect_reason before reconnecting', async () => {
    const { client, recorder } = harness.client();
    client.connect();
    await waitFor(() => client.state === 'connected', 'connected');
    await client.subscribe(taskStream(randomUUID()));
    const drainedAt = Date.now();
    harness.server.drain({ code: 'server_draining', message: 'bye', reconnect: true, retryAfterMs: 300 });
    await waitFor(() => client.state === 'resumed', 'resumed');
    expect(Date.now() - drainedAt).toBeGreaterThanOrEqual(300);
    expect(recorder.changes.find((c) => c.state === 'reconnecting')?.error).toEqual({
      code: 'server_draining',
      message: 'bye',
    });
  });

  it('stops when disconnect_reason says reconnecting is pointless', async () => {
    const { client, recorder } = harness.client();
    client.connect();
    await waitFor(() => client.state === 'connected', 'connected');
    harness.server.drain({ code: 'token_revoked', message: 'signed out', reconnect: false });
    await waitFor(() => client.state === 'failed', 'failed');
    expect(recorder.changes.at(-1)?.error).toEqual({ code: 'token_revoked', message: 'signed out' });
    expect(recorder.states).not.toContain('reconnecting');
  });
});
