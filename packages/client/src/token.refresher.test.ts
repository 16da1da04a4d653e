import { taskStream } from '@taskdash/contract';
import { randomUUID } from 'node:crypto';
import type { RealtimeClientOptions } from './realtime-client.options';
import { ClientHarness } from './testing/client.harness';
import { waitFor } from './testing/wait-for.util';

// The refresher is exercised through RealtimeClient against a real Socket.IO server.
describe('TokenRefresher', () => {
  let harness: ClientHarness;
  beforeEach(async () => {
    harness = await ClientHarness.start();
  });
  afterEach(() => harness.stop());

  /** A provider whose first call (the handshake) returns `alice`, then `alice#1`, `alice#2`, ... */
  const rotating = () => {
    const calls: number[] = [];
    const provider = () => {
      calls.push(calls.length);
      return calls.length === 1 ? 'alice' : `alice#${calls.length - 1}`;
    };
    return { provider, calls };
  };

  const connected = async (options: Partial<RealtimeClientOptions>) => {
    const made = harness.client(options);
    made.client.connect();
    await waitFor(() => made.client.state === 'connected', 'connected');
    return made;
  };

  it('renews the token through the provider on token_expiring, without reconnecting', async () => {
    const { provider } = rotating();
    const { client, recorder } = await connected({ token: provider });
    const stream = taskStream(randomUUID());
    await client.subscribe(stream);
    const notice = harness.server.warnExpiry();
    await waitFor(() => recorder.refreshes.length === 1, 'token_refreshed');
    expect(recorder.expiries).toEqual([{ ...notice, refreshable: true }]);
    expect(harness.server.refreshTokens).toEqual(['alice#1']);
    expect(recorder.refreshes).toEqual([{ expiresAt: expect.any(Number), attempts: 1 }]);
    expect(recorder.refreshes[0]!.expiresAt).toBeGreaterThan(notice.expiresAt);
    harness.server.publish(stream);
    await waitFor(() => recorder.seqs(stream).length === 1, 'event after the refresh');
    expect(harness.server.handshakeTokens).toEqual(['alice']);
    expect(recorder.states).toEqual(['connecting', 'connected']);
    expect(recorder.errors).toEqual([]);
  });

  it('retries after a provider error, a refusal, no answer and an unchanged expiry, until one succeeds', async () => {
    let calls = 0;
    const provider = () => {
      calls++;
      if (calls === 2) throw new Error('auth server down');
      return calls === 1 ? 'alice' : `alice#${calls}`;
    };
    const { recorder } = await connected({
      token: provider,
      ackTimeoutMs: 200,
      tokenRefresh: { attempts: 5, retryDelayMs: 10 },
    });
    const notice = harness.server.warnExpiry(10_000);
    const answers = [
      { ok: false as const, error: { code: 'token_expired' as const, message: 'expired' } },
      undefined, // never answered
      { ok: true as const, expiresAt: notice.expiresAt }, // the provider's cached token
      { ok: true as const, expiresAt: notice.expiresAt + 60_000 },
    ];
    harness.server.refresh = () => answers.shift();
    await waitFor(() => recorder.refreshes.length === 1, 'token_refreshed', 5_000);
    expect(recorder.errors.map((e) => e.code)).toEqual([
      'token_provider_failed',
      'token_expired',
      'timeout',
      'token_not_renewed',
    ]);
    expect(harness.server.refreshTokens).toEqual(['alice#3', 'alice#4', 'alice#5', 'alice#6']);
    expect(recorder.refreshes).toEqual([{ expiresAt: notice.expiresAt + 60_000, attempts: 5 }]);
    expect(recorder.states).toEqual(['connecting', 'connected']);
  });

  it('gives up after the configured attempts with token_refresh_failed, then reconnects with a new token when the server cuts the socket', async () => {
    const { provider } = rotating();
    const { client, recorder } = await connected({ token: provider, tokenRefresh: { attempts: 2, retryDelayMs: 10 } });
    harness.server.refresh = () => ({ ok: false, error: { code: 'token_revoked', message: 'revoked' } });
    harness.server.warnExpiry(10_000);
    await waitFor(() => recorder.errors.some((e) => e.code === 'token_refresh_failed'), 'token_refresh_failed');
    expect(recorder.errors.map((e) => e.code)).toEqual(['token_revoked', 'token_revoked', 'token_refresh_failed']);
    expect(recorder.errors.at(-1)!.cause).toBe(recorder.errors[1]);
    expect(harness.server.refreshTokens).toEqual(['alice#1', 'alice#2']);
    harness.server.drain({ code: 'token_expired', message: 'not refreshed', reconnect: true });
    await waitFor(() => client.state === 'resumed', 'resumed');
    expect(harness.server.handshakeTokens).toEqual(['alice', 'alice#3']);
  });

  it('does not retry once disconnectAt has passed', async () => {
    const { provider } = rotating();
    const { recorder } = await connected({ token: provider, tokenRefresh: { attempts: 5, retryDelayMs: 10 } });
    harness.server.refresh = () => ({ ok: false, error: { code: 'unavailable', message: 'busy' } });
    harness.server.warnExpiry(-200, 100);
    await waitFor(() => recorder.errors.some((e) => e.code === 'token_refresh_failed'), 'token_refresh_failed');
    expect(harness.server.refreshTokens).toEqual(['alice#1']);
  });

  it('with a fixed token, reports token_expiring as not refreshable, sends nothing and fails on token_expired', async () => {
    const { client, recorder } = await connected({ token: 'alice' });
    const notice = harness.server.warnExpiry();
    await waitFor(() => recorder.expiries.length === 1, 'token_expiring');
    expect(recorder.expiries).toEqual([{ ...notice, refreshable: false }]);
    harness.server.drain({ code: 'token_expired', message: 'not refreshed', reconnect: true });
    await waitFor(() => client.state === 'failed', 'failed');
    expect(recorder.changes.at(-1)).toMatchObject({ state: 'failed', error: { code: 'token_expired' } });
    expect(harness.server.refreshTokens).toEqual([]);
    expect(harness.server.handshakeTokens).toEqual(['alice']);
  });

  it('abandons a refresh when the connection drops, and never sends it on the next connection', async () => {
    let release: (token: string) => void = () => undefined;
    let calls = 0;
    const provider = () => {
      calls++;
      if (calls !== 2) return 'alice';
      return new Promise<string>((resolve) => (release = resolve));
    };
    const { client, recorder } = await connected({ token: provider });
    harness.server.warnExpiry(10_000);
    await waitFor(() => calls === 2, 'the provider asked for the refresh');
    harness.server.namespace.disconnectSockets();
    await waitFor(() => client.state === 'resumed', 'resumed');
    release('alice#late');
    // A late refresh would show up as `alice#late`; one more warning proves the refresher is idle again.
    harness.server.warnExpiry(10_000);
    await waitFor(() => recorder.refreshes.length === 1, 'token_refreshed');
    expect(harness.server.refreshTokens).toEqual(['alice']);
    expect(recorder.errors).toEqual([]);
  });

  it("stops at once when the server closes the socket over another user's token", async () => {
    let calls = 0;
    const provider = () => (++calls === 1 ? 'alice' : 'mallory');
    const { client, recorder } = await connected({ token: provider, tokenRefresh: { attempts: 5, retryDelayMs: 10 } });
    harness.server.warnExpiry(10_000);
    await waitFor(() => client.state === 'failed', 'failed');
    expect(recorder.changes.at(-1)).toMatchObject({ state: 'failed', error: { code: 'token_invalid' } });
    expect(harness.server.refreshTokens).toEqual(['mallory']);
    expect(recorder.errors.map((e) => e.code)).not.toContain('token_refresh_failed');
  });

  it('a warning repeated during a refresh does not restart it (the server warns again after an unchanged expiry)', async () => {
    const { provider } = rotating();
    const { recorder } = await connected({ token: provider, tokenRefresh: { attempts: 3, retryDelayMs: 20 } });
    const notice = harness.server.warnExpiry(10_000);
    harness.server.refresh = (_token, socket) => {
      // The real server restarts its timers after every successful refresh, and warns at once
      // when the token is as close to expiry as before.
      setImmediate(() => socket.emit('token_expiring', notice));
      return { ok: true, expiresAt: notice.expiresAt };
    };
    await waitFor(() => recorder.errors.some((e) => e.code === 'token_refresh_failed'), 'token_refresh_failed');
    expect(harness.server.refreshTokens).toEqual(['alice#1', 'alice#2', 'alice#3']);
    expect(recorder.errors.map((e) => e.code)).toEqual([
      'token_not_renewed',
      'token_not_renewed',
      'token_not_renewed',
      'token_refresh_failed',
    ]);
  });
});
