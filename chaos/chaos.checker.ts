import type { ChaosClient } from './chaos.client';
import type { ChaosProducer } from './chaos.producer';
import { percentile } from './chaos.util';

/** What every check counts of the deliveries it expected; a scenario passes with lost, duplicated, reordered and unexpected all 0. */
export interface DeliveryCounts {
  /** Deliveries that must happen: each event that must arrive × the clients subscribed to its stream. */
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Delivered, but not what was produced or stored under that seq. */
  unexpected: number;
  /** `reload` notices: a client was told it missed something. */
  reloads: number;
  examples: string[];
}

/** `expected` counts acknowledged events. */
export interface Verdict extends DeliveryCounts {
  acked: number;
  /** Delivered though the producer never saw a 2xx (committed, answer lost): allowed. */
  unackedDelivered: number;
  reconnects: number;
  reconnectP50: number;
  reconnectP99: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
}

/** Which acknowledged deliveries some client still misses (for a bounded wait). */
export function missing(producer: ChaosProducer, clients: readonly ChaosClient[]): number {
  const byStream = opsByStream(producer);
  let count = 0;
  for (const client of clients) {
    for (const stream of client.streams) {
      const got = new Set((client.received.get(stream) ?? []).map((r) => r.op));
      for (const op of byStream.get(stream) ?? []) if (!got.has(op)) count++;
    }
  }
  return count;
}

export function check(producer: ChaosProducer, clients: readonly ChaosClient[]): Verdict {
  const byStream = opsByStream(producer);
  const v: Verdict = {
    acked: producer.acked.size,
    expected: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    unexpected: 0,
    unackedDelivered: 0,
    reloads: 0,
    reconnects: 0,
    reconnectP50: 0,
    reconnectP99: 0,
    latencyP50: 0,
    latencyP99: 0,
    latencyMax: 0,
    examples: [],
  };
  const latencies: number[] = [];
  const reconnects: number[] = [];
  const note = (text: string) => v.examples.length < 10 && v.examples.push(text);
  clients.forEach((client, index) => {
    v.reloads += client.reloads.length;
    client.reloads.forEach((reload) => note(`client ${index} reload ${reload}`));
    reconnects.push(...client.reconnectMs);
    for (const [stream, list] of client.received) {
      const subscribed = client.streams.includes(stream);
      const seqs = new Set<number>();
      const ops = new Set<string>();
      let previous = 0;
      for (const entry of list) {
        v.delivered++;
        if (seqs.has(entry.seq)) {
          v.duplicated++;
          note(`client ${index} ${stream} seq ${entry.seq} twice`);
        } else if (entry.seq < previous) {
          v.reordered++;
          note(`client ${index} ${stream} seq ${entry.seq} after ${previous}`);
        }
        seqs.add(entry.seq);
        previous = Math.max(previous, entry.seq);
        const ack = entry.op === undefined ? undefined : producer.acked.get(entry.op);
        if (!subscribed || entry.type !== 'task.updated' || entry.op === undefined || producer.attempted.get(entry.op) !== stream) {
          v.unexpected++;
          note(`client ${index} ${stream} unexpected ${entry.type} seq ${entry.seq} op ${entry.op}`);
        } else if (!ack) {
          v.unackedDelivered++;
        } else {
          latencies.push(Math.max(0, entry.at - ack.at));
        }
        if (entry.op) ops.add(entry.op);
      }
      if (!subscribed) continue;
      for (const op of byStream.get(stream) ?? []) {
        v.expected++;
        if (!ops.has(op)) {
          v.lost++;
          note(`client ${index} (${client.url}) ${stream} lost ${op}`);
        }
      }
    }
  });
  v.reconnects = reconnects.length;
  v.reconnectP50 = percentile(reconnects, 50);
  v.reconnectP99 = percentile(reconnects, 99);
  v.latencyP50 = percentile(latencies, 50);
  v.latencyP99 = percentile(latencies, 99);
  v.latencyMax = latencies.reduce((a, b) => Math.max(a, b), 0);
  return v;
}

function opsByStream(producer: ChaosProducer): Map<string, string[]> {
  const byStream = new Map<string, string[]>();
  for (const [op, ack] of producer.acked) {
    const list = byStream.get(ack.stream) ?? [];
    list.push(op);
    byStream.set(ack.stream, list);
  }
  return byStream;
}
