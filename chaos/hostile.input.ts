import fc from 'fast-check';
import { sleep } from './chaos.util';
import { FuzzConnection, openEngineSocket } from './fuzz.connection';

const NAMESPACE = '/events';

/** Frames that look enough like Engine.IO/Socket.IO to get past the first checks, and some that do not. */
function frameArbitrary(token: string): fc.Arbitrary<string | Buffer> {
  const events = fc.constantFrom('subscribe', 'unsubscribe', 'refresh_token', 'ping', '__proto__', 'constructor', '');
  const json = fc.jsonValue({ maxDepth: 4 });
  const args = fc.array(fc.oneof(json, fc.record({ streams: fc.array(fc.record({ stream: fc.string(), position: fc.record({ seq: fc.oneof(fc.integer(), fc.double()), epoch: fc.string() }) }), { maxLength: 5 }) })), { maxLength: 4 });
  const ack = fc.option(fc.oneof(fc.nat(), fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER)), { nil: undefined });
  return fc.oneof(
    fc.tuple(events, args, ack).map(([name, a, id]) => `42${NAMESPACE},${id ?? ''}${JSON.stringify([name, ...a])}`),
    fc.tuple(fc.constantFrom('0', '1', '2', '3', '4', '5', '6'), fc.constantFrom('', '0', '1', '2', '3', '4', '5', '6', '7', '9'), fc.string({ maxLength: 200 })).map(
      ([engine, socket, rest]) => `${engine}${socket}${rest}`,
    ),
    fc.tuple(fc.constantFrom('40', '41', '43', '45', '46'), fc.constantFrom(NAMESPACE, '/', '/admin', '/events/../', ''), json).map(
      ([type, ns, body]) => `${type}${ns},${JSON.stringify(body)}`,
    ),
    fc.constant(`40${NAMESPACE},${JSON.stringify({ token })}`),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    fc.tuple(fc.nat({ max: 20 }), events).map(([n, name]) => `45${n}-${NAMESPACE},${n}["${name}",{"_placeholder":true,"num":${n}}]`),
  );
}


/** What the fuzzer got through to the server. */
export interface FuzzResult {
  /** Frames the server is known to have handled (the probe after it was answered, or it got the connection closed). */
  cases: number;
  connections: number;
  /** Cases that made the server close the connection. */
  closedByServer: number;
  /** Frames after which the server neither answered nor closed within 2 s (not counted as cases). */
  silent: number;
}

/**
 * Sends seeded random frames over raw connections until the server has handled `cases` of
 * them: one frame at a time, each followed by a probe the server must answer (see
 * FuzzConnection), on a fresh connection whenever the server closed one; every other
 * connection is first authenticated on /events (and waits for it), so that frames reach the
 * app's handlers and not only the parsers. Bounded by 10 minutes.
 */
export async function fuzzFrames(url: string, token: string, seed: number, cases: number): Promise<FuzzResult> {
  const result: FuzzResult = { cases: 0, connections: 0, closedByServer: 0, silent: 0 };
  const deadline = Date.now() + 10 * 60_000;
  let connection: FuzzConnection | undefined;
  // In rounds of `cases` samples: silent frames are not cases, so a round may not be enough.
  for (let round = 0; result.cases < cases && Date.now() < deadline; round++) {
    for (const frame of fc.sample(frameArbitrary(token), { seed: seed + round, numRuns: cases })) {
      if (result.cases >= cases || Date.now() >= deadline) break;
      while (!connection) {
        connection = await FuzzConnection.open(url);
        if (!connection) await sleep(100);
        else if (result.connections++ % 2 === 1 && !(await connection.authenticate(NAMESPACE, token))) {
          connection.close();
          connection = undefined;
        }
      }
      const outcome = await connection.send(frame);
      if (outcome === 'silent') result.silent++;
      else result.cases++;
      if (outcome !== 'alive') {
        if (outcome === 'closed') result.closedByServer++;
        connection.close();
        connection = undefined;
      }
    }
  }
  connection?.close();
  return result;
}

/** Deeply nested JSON and oversized frames, each on a connection of its own; counts server-side closes. */
export async function hostileFrames(url: string, token: string): Promise<{ nestedClosed: boolean; oversizedClosed: boolean }> {
  const depth = 200_000;
  const nested = `42${NAMESPACE},["subscribe",${'['.repeat(depth)}${']'.repeat(depth)}]`;
  const nestedObject = `42${NAMESPACE},1["subscribe",${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}]`;
  const oversized = `42${NAMESPACE},["subscribe",{"streams":[{"stream":"${'x'.repeat(8 * 1024 * 1024)}"}]}]`;
  const attempt = async (frame: string): Promise<boolean> => {
    const ws = await openEngineSocket(url);
    if (!ws) return false;
    const closed = new Promise<boolean>((resolve) => {
      ws.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    });
    ws.send(`40${NAMESPACE},${JSON.stringify({ token })}`);
    await sleep(50);
    ws.send(frame);
    const result = await closed;
    ws.terminate();
    return result;
  };
  const nestedClosed = (await attempt(nested)) && (await attempt(nestedObject));
  const oversizedClosed = await attempt(oversized);
  return { nestedClosed, oversizedClosed };
}
