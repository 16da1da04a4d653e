import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '@taskdash/contract';
import type { RedisClient } from '../../redis/redis-client';

/** How long a subscription waits for Redis before the stream is tracked anyway, in ms. */
const SUBSCRIBE_WAIT_MS = 1000;

/**
 * Interest-based delivery between nodes over Redis sharded pub/sub (`SPUBLISH`,
 * `SSUBSCRIBE`): one channel per stream, `<prefix>:ev:{<stream>}`, so a Redis Cluster
 * spreads the channels over its shards by the stream's hash slot, and a node receives a
 * stream's events only while it subscribes to that channel, which it does exactly while
 * its dispatcher tracks the stream (a local socket follows it, or did within the linger).
 *
 * One channel per stream rather than per group of streams: a group would send a node the
 * events of every stream in it that nobody there follows, and the target is that a node
 * receives under 1.1x what its sockets want. A subscription is one command on a connection
 * the node already holds (Redis keeps it as a dictionary entry), cheap next to the events.
 *
 * Nothing here is needed for correctness: a message lost while Redis is away, or published
 * before the subscription took effect, is found by the dispatcher's head check and read
 * from the database. The subscription is made before the stream's head is read, so that
 * in the normal case nothing waits for a head check.
 */
export class StreamChannels {
  private readonly logger = new Logger(StreamChannels.name);
  /** Tells this node's own messages apart (a node follows streams it also publishes to). */
  private readonly origin = `${randomUUID()}\n`;
  private handler: ((events: EventEnvelope[]) => void) | undefined;
  /** Events received from other nodes (for the fan-out metrics and the bench). */
  received = 0;

  constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly prefix: string,
  ) {
    sub.on('smessage', (_channel: string, message: string) => this.onMessage(message));
  }

  channel(stream: string): string {
    return `${this.prefix}:ev:{${stream}}`;
  }

  /** Where received events go (the dispatcher). */
  onEvents(handler: (events: EventEnvelope[]) => void): void {
    this.handler = handler;
  }

  /** Publishes a stored batch: one message per stream, in seq order within it. */
  publish(events: readonly EventEnvelope[]): void {
    const byStream = new Map<string, EventEnvelope[]>();
    for (const event of events) {
      const list = byStream.get(event.stream);
      if (list) list.push(event);
      else byStream.set(event.stream, [event]);
    }
    for (const [stream, list] of byStream) {
      this.pub.spublish(this.channel(stream), this.origin + JSON.stringify(list)).catch((error: Error) => {
        this.logger.debug({
          msg: 'spublish failed; subscribers fill the gap from the database',
          stream,
          error: error.message,
        });
      });
    }
  }

  /**
   * Starts receiving a stream's events. Resolves once Redis confirmed, or after
   * `SUBSCRIBE_WAIT_MS` while Redis is away (the command stays queued and takes effect
   * when Redis is back; until then head checks deliver).
   */
  async subscribe(stream: string): Promise<void> {
    const done = this.sub.ssubscribe(this.channel(stream)).catch((error: Error) => {
      this.logger.warn({
        msg: 'ssubscribe failed; head checks deliver this stream',
        stream,
        error: error.message,
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS)));
    await Promise.race([done, waited]);
    clearTimeout(timer);
  }

  unsubscribe(stream: string): void {
    this.sub.sunsubscribe(this.channel(stream)).catch(() => undefined);
  }

  private onMessage(message: string): void {
    if (message.startsWith(this.origin)) return;
    const newline = message.indexOf('\n');
    let events: EventEnvelope[];
    try {
      events = JSON.parse(message.slice(newline + 1)) as EventEnvelope[];
    } catch {
      return; // not ours: the channel prefix is the app's, but Redis is shared
    }
    this.received += events.length;
    // Messages of several streams that arrive together (one read from Redis) go to the
    // dispatcher as one delivery, so a socket following several of them gets one packet,
    // as it would from one broadcast batch. Each stream's messages stay in order.
    this.pending.push(...events);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => {
        this.flushing = false;
        const batch = this.pending;
        this.pending = [];
        this.handler?.(batch);
      });
    }
  }

  private pending: EventEnvelope[] = [];
  private flushing = false;
}
