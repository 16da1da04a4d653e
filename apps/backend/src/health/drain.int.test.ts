import { randomUUID } from 'node:crypto';
import { Agent, request, type ClientRequest } from 'node:http';
import { startBackendProcess, type BackendProcess } from '../../../../test/backend-process';
import { delay, expectEventually } from '../../../../test/eventually';
import { connectSocket, connected, type TestSocket } from '../../../../test/test-app';
import { createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import { TEST_JWT_SECRET } from '../../../../test/test-env';
import { signToken } from '../auth/token-signer';
import { loadConfig } from '../config/app-config';

const DELAY_MS = 1500;
const POLL_MS = 20;
/** Time for the signal to be handled, even on a busy machine. */
const SIGNAL_MS = 300;

/** One HTTP exchange as the client saw it; times are ms since SIGTERM (negative before). */
interface Probe {
  path: string;
  sentAt: number;
  /** When it was answered or failed. */
  at: number;
  status?: number;
  connection?: string;
  body?: string;
  /** `code: message` of a request that failed (refused, reset, hung up, timed out). */
  error?: string;
  /** Whether the request went out on a connection the agent had kept alive. */
  reused: boolean;
}

let sigtermAt = Number.POSITIVE_INFINITY;
const now = () => performance.now() - sigtermAt;

function exchange(req: ClientRequest, path: string): Promise<Probe> {
  return new Promise((resolve) => {
    const sentAt = now();
    const done = (probe: Omit<Probe, 'path' | 'sentAt' | 'at' | 'reused'>) =>
      resolve({ path, sentAt, at: now(), reused: req.reusedSocket, ...probe });
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({ error: `${error.code ?? 'ERR'}: ${error.message}` }),
    );
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        done({ status: response.statusCode, connection: response.headers.connection, body }),
      );
      response.on('error', (error: NodeJS.ErrnoException) =>
        done({ error: `${error.code ?? 'ERR'}: ${error.message}` }),
      );
    });
  });
}

const get = (url: string, path: string, agent: Agent): Promise<Probe> => {
  const req = request(`${url}${path}`, { agent });
  const answer = exchange(req, path);
  req.end();
  return answer;
};

/** A POST whose body arrives in two parts: in flight from the first byte until `finish()`. */
async function slowPost(
  url: string,
  path: string,
  token: string,
  body: string,
): Promise<{ finish(): void; answer: Promise<Probe> }> {
  const req = request(`${url}${path}`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const answer = exchange(req, path);
  await new Promise<void>((resolve) => req.write(body.slice(0, 5), () => resolve()));
  return { finish: () => req.end(body.slice(5)), answer };
}

/**
 * Refused by the closed listener. A reset counts too when the connection was new and the
 * request went out after the delay: the kernel completed its handshake into the listener's
 * backlog just before the listener closed, so no server code ever saw it, and the kernel
 * answers such a connection with a reset (seen once in CI under load, at 1,507 ms with a
 * 1,500 ms delay). A reset on a kept-alive connection, or during the delay, still fails.
 */
const refused = (probe: Probe) =>
  probe.error?.startsWith('ECONNREFUSED') === true ||
  (probe.error?.startsWith('ECONNRESET') === true && !probe.reused && probe.sentAt >= DELAY_MS);
const phase = (probe: Probe) => (refused(probe) ? 'refused' : String(probe.status ?? probe.error));

/**
 * A load balancer takes a node out when its health check fails, so on SIGTERM readiness
 * must answer 503 for a while, with the node still serving, before the listener closes.
 * Found as: readiness went from 200 straight to connection refused, and requests on
 * kept-alive connections were reset.
 */
describe('drain on SIGTERM, as a load balancer and its clients see it', () => {
  let database: TestDatabase;
  let backend: BackendProcess;
  const probes: Probe[] = [];
  let held: { before: Probe; during: Probe };
  let inFlight: Probe;
  let drainNotice: { at: number; code: string } | undefined;
  let socketDownAt = Number.POSITIVE_INFINITY;
  let exitCode: number | null;

  beforeAll(async () => {
    database = await createTestDatabase();
    backend = await startBackendProcess({
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: `t-${randomUUID().slice(0, 8)}`,
      DRAIN_READINESS_DELAY_MS: String(DELAY_MS),
      DRAIN_SPREAD_SEC: '0',
    });
    const { url } = backend;
    const token = signToken(loadConfig({ JWT_SECRET: TEST_JWT_SECRET }).jwt, { sub: 'drain-user' });

    // The load balancer's health check and a client's traffic: one kept-alive connection.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let polling = true;
    const poller = (async () => {
      while (polling && probes.filter(refused).length < 5) {
        probes.push(await get(url, '/health/ready', agent));
        probes.push(await get(url, '/health/live', agent));
        await delay(POLL_MS);
      }
    })();
    await expectEventually(
      () => expect(probes.filter((p) => p.status === 200).length).toBeGreaterThan(4),
      5000,
      20,
    );

    // A client that used its connection once before SIGTERM and sends again during the drain.
    const heldAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(url, '/health/live', heldAgent);
    const socket: TestSocket = connectSocket(url, token);
    socket.on('disconnect_reason', (notice) => (drainNotice ??= { at: now(), code: notice.code }));
    socket.on('disconnect', () => (socketDownAt = Math.min(socketDownAt, now())));
    await connected(socket);
    const slow = await slowPost(
      url,
      '/tasks',
      token,
      JSON.stringify({ title: 'in flight across the drain' }),
    );

    sigtermAt = performance.now();
    const exited = backend.stop(20_000);
    await delay(300);
    held = { before, during: await get(url, '/health/live', heldAgent) };
    // The slow request's body ends only once the listener refuses new connections.
    await expectEventually(() => expect(probes.some(refused)).toBe(true), DELAY_MS + 10_000, 10);
    slow.finish();
    inFlight = await slow.answer;
    exitCode = await exited;
    polling = false;
    await poller;
    agent.destroy();
    heldAgent.destroy();
    socket.disconnect();
  }, 60_000);
  afterAll(async () => {
    await backend?.kill();
    await database?.drop();
  });

  /** Sent once the signal was surely handled and before the delay ended: the node must drain but serve. */
  const inDelay = (path: string) =>
    probes.filter((p) => p.path === path && p.sentAt >= SIGNAL_MS && p.sentAt < DELAY_MS);

  it('readiness goes 200 -> 503 (draining) -> connection refused, and 503 lasts the configured delay', () => {
    const ready = probes.filter((p) => p.path === '/health/ready').map(phase);
    expect(ready.filter((p, i) => p !== ready[i - 1])).toEqual(['200', '503', 'refused']);
    expect(inDelay('/health/ready').length).toBeGreaterThan(3);
    expect(inDelay('/health/ready').filter((p) => p.status !== 503)).toEqual([]);
    const draining = probes.find((p) => p.status === 503)!;
    expect(JSON.parse(draining.body!)).toMatchObject({
      status: 'draining',
      ready: false,
      checks: { accepting: { ok: false, error: 'draining' } },
    });
    // Refused only once the delay is over, and soon after it.
    const firstRefused = probes.find(refused)!;
    expect(firstRefused.sentAt).toBeGreaterThanOrEqual(DELAY_MS);
    expect(firstRefused.sentAt).toBeLessThan(DELAY_MS + 3000);
  });

  it('never resets or hangs up a request: each one is answered, or refused once the listener is closed', () => {
    const failed = probes.filter((p) => p.error !== undefined && !refused(p));
    expect(failed).toEqual([]);
    const firstRefused = probes.findIndex(refused);
    expect(probes.slice(firstRefused).filter((p) => !refused(p))).toEqual([]);
  });

  it('while readiness is 503 the node still serves: liveness answers 200, every answer with Connection: close', () => {
    expect(inDelay('/health/live').length).toBeGreaterThan(3);
    expect(inDelay('/health/live').filter((p) => p.status !== 200)).toEqual([]);
    expect(
      [...inDelay('/health/live'), ...inDelay('/health/ready')].filter((p) => p.connection !== 'close'),
    ).toEqual([]);
  });

  it('answers a request on a connection kept alive from before SIGTERM, on that connection, with Connection: close', () => {
    expect(held.before).toMatchObject({ status: 200, connection: 'keep-alive', reused: false });
    expect(held.during).toMatchObject({ status: 200, connection: 'close', reused: true });
    expect(held.during.sentAt).toBeLessThan(DELAY_MS);
  });

  it('answers a slow request that was in flight at SIGTERM, after the listener closed', () => {
    expect(inFlight).toMatchObject({ status: 201, connection: 'close' });
    expect(inFlight.at).toBeGreaterThan(probes.find(refused)!.at);
  });

  it('tells sockets server_draining only after the delay, then exits 0', () => {
    expect(drainNotice).toEqual({ at: expect.any(Number), code: 'server_draining' });
    expect(drainNotice!.at).toBeGreaterThanOrEqual(DELAY_MS);
    expect(socketDownAt).toBeGreaterThanOrEqual(DELAY_MS);
    expect(exitCode).toBe(0);
  });
});
