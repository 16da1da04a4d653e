import fc from 'fast-check';
import WebSocket from 'ws';
import { sleep } from './chaos.util';

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

/** A raw WebSocket speaking Engine.IO by hand; resolves once the server's open packet arrived. */
function open(url: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(undefined);
    }, 5000);
    ws.once('message', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

/**
 * Sends `cases` seeded random frames over raw connections (a fresh one whenever the server
 * closes one), `perConnection` frames each, authenticated half of the time.
 */
export async function fuzzFrames(url: string, token: string, seed: number, cases: number, perConnection = 25): Promise<{ sent: number; connections: number; closedByServer: number }> {
  const frames = fc.sample(frameArbitrary(token), { seed, numRuns: cases });
  let sent = 0;
  let connections = 0;
  let closedByServer = 0;
  const deadline = Date.now() + 10 * 60_000;
  while (sent < frames.length && Date.now() < deadline) {
    const ws = await open(url);
    if (!ws) {
      await sleep(100);
      continue;
    }
    connections++;
    let closed = false;
    ws.on('close', () => (closed = true));
    if (connections % 2 === 0) ws.send(`40${NAMESPACE},${JSON.stringify({ token })}`);
    for (let i = 0; i < perConnection && sent < frames.length && !closed; i++) {
      ws.send(frames[sent++]!);
    }
    await sleep(5);
    if (closed) closedByServer++;
    ws.terminate();
  }
  return { sent, connections, closedByServer };
}

/** Deeply nested JSON and oversized frames, each on a connection of its own; counts server-side closes. */
export async function hostileFrames(url: string, token: string): Promise<{ nestedClosed: boolean; oversizedClosed: boolean }> {
  const depth = 200_000;
  const nested = `42${NAMESPACE},["subscribe",${'['.repeat(depth)}${']'.repeat(depth)}]`;
  const nestedObject = `42${NAMESPACE},1["subscribe",${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}]`;
  const oversized = `42${NAMESPACE},["subscribe",{"streams":[{"stream":"${'x'.repeat(8 * 1024 * 1024)}"}]}]`;
  const attempt = async (frame: string): Promise<boolean> => {
    const ws = await open(url);
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
