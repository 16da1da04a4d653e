import type { EventEnvelope, SubscribeAck, SubscribeRequest } from '@taskdash/contract';
import type { TestSocket } from './test-app';

/** Records every event a socket receives, per stream, in arrival order. */
export class EventCollector {
  readonly all: EventEnvelope[] = [];

  constructor(socket: TestSocket) {
    socket.on('events', (events) => this.all.push(...events));
  }

  seqs(stream: string): number[] {
    return this.all.filter((e) => e.stream === stream).map((e) => e.seq);
  }
}

export function subscribe(socket: TestSocket, streams: SubscribeRequest['streams']): Promise<SubscribeAck> {
  return new Promise((resolve) => socket.emit('subscribe', { streams }, resolve));
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
