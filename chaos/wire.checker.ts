import type { StoredEvent } from './chaos-database';
import type { WireConnection } from './wire.tap';

/** One client as the wire checker sees it: what it watched, from where, and its raw connections. */
export interface WireClient {
  streams: readonly string[];
  /** Where its first subscription of each stream started live (events after it are owed). */
  startSeq: ReadonlyMap<string, number>;
  connections: readonly WireConnection[];
}

/**
 * Verdicts on raw protocol messages against the `events` table. Every figure but `events`,
 * `connections` and `reloaded` must be 0.
 */
export interface WireVerdict {
  connections: number;
  events: number;
  /** The same seq of a stream twice on one connection. */
  duplicated: number;
  /** A smaller seq after a larger one on one connection. */
  reordered: number;
  /** Seqs skipped inside one connection's flow (after its first event). */
  gaps: number;
  /** A subscription whose first event was not the one its answer promised (a replay not exactly its range). */
  replayMismatch: number;
  /** An event of a stream the connection was not subscribed to (or whose subscribe was refused). */
  unexpected: number;
  /** An event whose `(stream, seq)` is not stored, or is stored with another id or type. */
  mismatched: number;
  /** An event of a stream after that stream's `access_revoked` on the same connection. */
  afterRevoke: number;
  /** Stored events after a client's start that none of its connections delivered. */
  lost: number;
  /** Of those, the ones a `recovered: false` answer told the client to reload instead: allowed. */
  reloaded: number;
  examples: string[];
}

type Expect = number | 'any' | undefined;

function promisedStart(
  requested: number | undefined,
  answer: { ok: boolean; position?: number; recovered?: boolean } | undefined,
): Expect {
  if (!answer) return requested === undefined ? 'any' : requested + 1; // the connection died before the answer
  if (!answer.ok) return undefined;
  if (answer.recovered === true) return (requested ?? 0) + 1;
  return answer.position === undefined ? 'any' : answer.position + 1;
}

export function checkWire(
  stored: ReadonlyMap<string, readonly StoredEvent[]>,
  clients: readonly WireClient[],
): WireVerdict {
  const v: WireVerdict = {
    connections: 0,
    events: 0,
    duplicated: 0,
    reordered: 0,
    gaps: 0,
    replayMismatch: 0,
    unexpected: 0,
    mismatched: 0,
    afterRevoke: 0,
    lost: 0,
    reloaded: 0,
    examples: [],
  };
  const note = (text: string) => v.examples.length < 10 && v.examples.push(text);
  const bySeq = new Map(
    [...stored].map(([stream, events]) => [stream, new Map(events.map((e) => [e.seq, e]))]),
  );

  clients.forEach((client, index) => {
    const delivered = new Map<string, Set<number>>(client.streams.map((s) => [s, new Set()]));
    const reloadedFrom = new Map<string, number>();
    for (const connection of client.connections) {
      v.connections++;
      const expect = new Map<string, Expect>();
      const first = new Set<string>();
      const seen = new Map<string, Set<number>>();
      const revoked = new Set<string>();
      for (const record of connection.records) {
        if (record.kind === 'subscribe') {
          const { stream, requested, answer } = record.subscribe;
          expect.set(stream, promisedStart(requested, answer));
          first.add(stream);
          revoked.delete(stream);
          if (answer?.ok && answer.recovered === false && answer.reason && answer.position !== undefined) {
            reloadedFrom.set(stream, Math.max(reloadedFrom.get(stream) ?? 0, answer.position));
          }
          continue;
        }
        if (record.kind === 'revoked') {
          revoked.add(record.stream);
          continue;
        }
        if (record.kind === 'skipped') {
          expect.set(record.stream, record.toSeq + 1);
          continue;
        }
        const { stream, seq, id, type } = record.event;
        v.events++;
        delivered.get(stream)?.add(seq);
        const truth = bySeq.get(stream)?.get(seq);
        if (!truth || truth.id !== id || truth.type !== type) {
          v.mismatched++;
          note(`client ${index} ${connection.id} ${stream} seq ${seq} (${type}) is not the stored event`);
        }
        if (revoked.has(stream)) {
          v.afterRevoke++;
          note(`client ${index} ${connection.id} ${stream} seq ${seq} after access_revoked`);
        }
        const wanted = expect.get(stream);
        const streamSeen = seen.get(stream) ?? new Set<number>();
        seen.set(stream, streamSeen);
        if (wanted === undefined) {
          v.unexpected++;
          note(`client ${index} ${connection.id} ${stream} seq ${seq} without a subscription`);
        } else if (wanted === 'any' || seq === wanted) {
          expect.set(stream, seq + 1);
        } else if (seq < wanted) {
          if (streamSeen.has(seq)) {
            v.duplicated++;
            note(`client ${index} ${connection.id} ${stream} seq ${seq} twice`);
          } else {
            v.reordered++;
            note(`client ${index} ${connection.id} ${stream} seq ${seq} after ${wanted - 1}`);
          }
        } else {
          if (first.has(stream)) {
            v.replayMismatch++;
            note(`client ${index} ${connection.id} ${stream} started at seq ${seq}, promised ${wanted}`);
          } else {
            v.gaps += seq - wanted;
            note(`client ${index} ${connection.id} ${stream} seq ${seq} after ${wanted - 1}`);
          }
          expect.set(stream, seq + 1);
        }
        first.delete(stream);
        streamSeen.add(seq);
      }
    }
    for (const stream of client.streams) {
      const from = client.startSeq.get(stream) ?? 0;
      const got = delivered.get(stream)!;
      const reloadUpTo = reloadedFrom.get(stream) ?? 0;
      for (const event of stored.get(stream) ?? []) {
        if (event.seq <= from || got.has(event.seq)) continue;
        if (event.seq <= reloadUpTo) {
          v.reloaded++;
        } else {
          v.lost++;
          note(`client ${index} ${stream} never got seq ${event.seq} (${event.type})`);
        }
      }
    }
  });
  return v;
}

/** The figures that must be 0 for a run to pass. */
export const wireFailures = (v: WireVerdict): number =>
  v.duplicated +
  v.reordered +
  v.gaps +
  v.replayMismatch +
  v.unexpected +
  v.mismatched +
  v.afterRevoke +
  v.lost;
