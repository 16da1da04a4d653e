import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * - `pass`: bytes flow both ways.
 * - `delay`: every chunk waits `delayMs` before it is forwarded (order kept).
 * - `blackhole`: nothing moves and new connections hang, like packets dropped on a dead
 *   link: TCP would retransmit, so the held bytes flow again once the mode is back to `pass`.
 * - `reset`: every open connection is destroyed and new ones are closed at once.
 */
export type FaultMode = 'pass' | 'delay' | 'blackhole' | 'reset';

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** A TCP proxy of our own in front of PostgreSQL, Redis or a backend, with switchable faults. */
export class FaultProxy {
  private mode: FaultMode = 'pass';
  private delayMs = 0;
  private readonly pairs = new Set<Pair>();
  private server: Server | undefined;
  /** Bytes per second towards the client (0: unlimited); a slow reader. */
  private clientRate = 0;
  port = 0;

  constructor(private target: { host: string; port: number }) {}

  async start(port = 0): Promise<this> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Sends new connections elsewhere (a load balancer taking a dead node out). */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  set(mode: FaultMode, delayMs = 0): void {
    this.mode = mode;
    this.delayMs = delayMs;
    if (mode === 'reset') {
      for (const pair of this.pairs) this.destroy(pair, true);
    }
    for (const pair of this.pairs) this.flow(pair);
  }

  throttleClient(bytesPerSecond: number): void {
    this.clientRate = bytesPerSecond;
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) this.destroy(pair, false);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ ...this.target, noDelay: true });
    const pair = { client, upstream };
    this.pairs.add(pair);
    this.pipe(pair, client, upstream, false);
    this.pipe(pair, upstream, client, true);
    const end = () => this.destroy(pair, false);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    this.flow(pair);
  }

  private pipe(pair: Pair, from: Socket, to: Socket, towardsClient: boolean): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const wait = this.mode === 'delay' ? this.delayMs : 0;
      const throttle = towardsClient && this.clientRate > 0 ? (chunk.length * 1000) / this.clientRate : 0;
      if (wait === 0 && throttle === 0 && !this.pairsHeld()) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      from.pause();
      chain = chain.then(async () => {
        await sleep(wait + throttle);
        while (this.mode === 'blackhole' && this.pairs.has(pair)) await sleep(20);
        if (!to.destroyed) to.write(chunk);
        if (this.mode !== 'blackhole' && this.pairs.has(pair)) from.resume();
      });
    });
  }

  private pairsHeld(): boolean {
    return this.mode === 'blackhole';
  }

  private flow(pair: Pair): void {
    if (this.mode === 'blackhole') {
      pair.client.pause();
      pair.upstream.pause();
    } else {
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  private destroy(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    if (reset) {
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
    } else {
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
