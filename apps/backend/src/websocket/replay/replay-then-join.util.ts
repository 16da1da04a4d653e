import type { EventEnvelope } from '@taskdash/contract';
import type { EventStore } from '../../events/event-store';
import type { StreamState } from '../delivery/stream-dispatcher.service';

/**
 * What one catch-up does at each step. The subscription replay and an execution viewer's
 * catch-up differ only here; the order of checks, which is what makes them exact, is the
 * routine's.
 */
export interface ReplaySteps<Stop extends string> {
  /** Events per read. */
  pageSize: number;
  /**
   * Synchronous: may this socket still receive the stream from here (connected, still
   * subscribed, not revoked, not taken over)? Asked after every await, immediately before
   * a page is sent and before the join, so that nothing is sent after a revocation.
   */
  wanted(): boolean;
  /** Awaited before each read (pacing, a permission check); a value stops the replay with it. */
  beforePage?(): Promise<Stop | undefined>;
  /** Events after `sent` are missing up to `next` (purged): the seq to go on after, or a stop. */
  onHole(sent: number, next: number): Promise<number | Stop>;
  send(events: EventEnvelope[]): void;
  /** Called in the same tick in which everything up to the dispatcher's head was sent. */
  join(): void;
}

export type ReplayEnd<Stop extends string> = 'joined' | 'gone' | Stop;

/**
 * Sends a socket `(from, head]` of a stream from the event store, page by page, then joins
 * it to live delivery. The dispatcher emits only contiguous seqs and `state.head` is read
 * in the same tick as the join, so nothing falls between the replay and live delivery and
 * nothing arrives twice. `wanted()` is checked after each await and right before each send,
 * so a revocation that happened during a read stops the page that read returned.
 */
export async function replayThenJoin<Stop extends string>(
  store: EventStore,
  state: StreamState,
  from: number,
  steps: ReplaySteps<Stop>,
): Promise<ReplayEnd<Stop>> {
  let sent = from;
  for (;;) {
    if (!steps.wanted()) return 'gone';
    if (sent >= state.head) {
      steps.join();
      return 'joined';
    }
    const stop = await steps.beforePage?.();
    if (stop !== undefined) return stop;
    if (!steps.wanted()) return 'gone';
    if (sent >= state.head) continue;
    const page = await store.read(state.stream, sent, state.head, steps.pageSize);
    if (!steps.wanted()) return 'gone';
    if (page[0]?.seq !== sent + 1) {
      const next = await steps.onHole(sent, page[0]?.seq ?? state.head + 1);
      if (typeof next !== 'number') return next;
      sent = next;
      continue;
    }
    const run = leadingRun(page);
    steps.send(run);
    sent = run[run.length - 1]!.seq;
  }
}

/** The leading run of consecutive seqs (a page is contiguous unless a purge cut into it). */
function leadingRun(page: EventEnvelope[]): EventEnvelope[] {
  let end = 1;
  while (end < page.length && page[end]!.seq === page[end - 1]!.seq + 1) end++;
  return page.slice(0, end);
}
