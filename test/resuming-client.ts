import type { EventEnvelope, StreamPosition, SubscribeAck } from '@taskdash/contract';
import { connectSocket, type TestSocket } from './test-app';

/**
 * A minimal client for multi-node tests: holds its positions, and whenever its socket goes
 * away it connects to the next URL of `urls()` and resubscribes from them. It records every
 * event as received (no de-duplication), so tests can check exactness.
 */
export class ResumingClient {
  readonly received: EventEnvelope[] = [];
  readonly positions = new Map<string, StreamPosition>();
  readonly reasons: string[] = [];
  connects = 0;
  private socket: TestSocket | undefined;
  private closed = false;

  constructor(
    private readonly urls: () => string[],
    private readonly token: () => string,
    private readonly streams: string[],
  ) {}

  start(): void {
    this.open(0);
  }

  seqs(stream: string): number[] {
    return this.received.filter((e) => e.stream === stream).map((e) => e.seq);
  }

  get url(): string | undefined {
    return (this.socket?.io as unknown as { uri?: string } | undefined)?.uri;
  }

  close(): void {
    this.closed = true;
    this.socket?.disconnect();
  }

  private open(attempt: number): void {
    if (this.closed) return;
    const urls = this.urls();
    const socket = connectSocket(urls[attempt % urls.length]!, this.token());
    this.socket = socket;
    socket.on('events', (events) => {
      for (const event of events) {
        this.received.push(event);
        this.positions.set(event.stream, { seq: event.seq, epoch: event.epoch });
      }
    });
    socket.on('disconnect_reason', (notice) => this.reasons.push(notice.code));
    socket.on('connect', () => {
      this.connects++;
      const streams = this.streams.map((stream) => ({ stream, ...(this.positions.has(stream) ? { position: this.positions.get(stream)! } : {}) }));
      socket.emit('subscribe', { streams }, (answer: SubscribeAck) => {
        if (!answer.ok) return;
        for (const result of answer.results) {
          if (result.ok && !this.positions.has(result.stream)) this.positions.set(result.stream, result.position);
        }
      });
    });
    const retry = () => {
      socket.removeAllListeners();
      setTimeout(() => this.open(attempt + 1), 50 + Math.random() * 100);
    };
    socket.on('disconnect', retry);
    socket.on('connect_error', retry);
  }
}
