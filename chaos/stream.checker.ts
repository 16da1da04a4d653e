import type { StoredEvent } from './chaos-database';
import type { DeliveryCounts } from './chaos.checker';
import type { ChaosClient } from './chaos.client';

/** What subscribed clients got of some streams, measured against what is stored. */
/** `expected` counts stored events; `unexpected` also counts an event stored with another id. */
export interface StreamVerdict extends DeliveryCounts {
  /** Holes in a stored stream (its seqs not 1..N): the store itself lost or skipped one. */
  storeGaps: number;
  skipped: number;
}

/**
 * The stored events are the ground truth ("acknowledged = stored"): every client
 * subscribed to a stream must have received exactly its stored events after the position
 * its subscription started at, each once, in seq order. Clients must have been created
 * with `keepEvents`.
 */
export function checkStreams(stored: ReadonlyMap<string, readonly StoredEvent[]>, clients: readonly ChaosClient[]): StreamVerdict {
  const v: StreamVerdict = { expected: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, unexpected: 0, storeGaps: 0, reloads: 0, skipped: 0, examples: [] };
  const note = (text: string) => v.examples.length < 10 && v.examples.push(text);
  for (const [stream, events] of stored) {
    events.forEach((event, i) => {
      if (event.seq !== i + 1) {
        v.storeGaps++;
        note(`${stream} stored seq ${event.seq} at position ${i + 1}`);
      }
    });
  }
  clients.forEach((client, index) => {
    v.reloads += client.reloads.length;
    v.skipped += client.skipped.length;
    client.reloads.forEach((reload) => note(`client ${index} reload ${reload}`));
    client.skipped.forEach((skip) => note(`client ${index} output skipped ${skip}`));
    for (const stream of client.streams) {
      const from = client.startSeq.get(stream) ?? 0;
      const truth = new Map((stored.get(stream) ?? []).filter((event) => event.seq > from).map((event) => [event.seq, event]));
      const seen = new Set<number>();
      let previous = 0;
      for (const event of client.events.get(stream) ?? []) {
        v.delivered++;
        if (seen.has(event.seq)) {
          v.duplicated++;
          note(`client ${index} ${stream} seq ${event.seq} twice`);
        } else if (event.seq < previous) {
          v.reordered++;
          note(`client ${index} ${stream} seq ${event.seq} after ${previous}`);
        }
        if (truth.get(event.seq)?.id !== event.id) {
          v.unexpected++;
          note(`client ${index} ${stream} seq ${event.seq} (${event.type}) is not the stored event`);
        }
        seen.add(event.seq);
        previous = Math.max(previous, event.seq);
      }
      for (const seq of truth.keys()) {
        v.expected++;
        if (!seen.has(seq)) {
          v.lost++;
          note(`client ${index} (${client.url}) ${stream} lost seq ${seq} (${truth.get(seq)!.type})`);
        }
      }
    }
  });
  return v;
}

/** Deliveries some client still misses (for a bounded wait before the check). */
export function missingDeliveries(stored: ReadonlyMap<string, readonly StoredEvent[]>, clients: readonly ChaosClient[]): number {
  let count = 0;
  for (const client of clients) {
    for (const stream of client.streams) {
      const got = new Set((client.events.get(stream) ?? []).map((event) => event.seq));
      const from = client.startSeq.get(stream) ?? 0;
      for (const event of stored.get(stream) ?? []) if (event.seq > from && !got.has(event.seq)) count++;
    }
  }
  return count;
}
