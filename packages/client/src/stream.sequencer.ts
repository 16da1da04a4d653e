import type { EventEnvelope, StreamPosition, SubscribeResult } from '@taskdash/contract';
import type { PositionStore } from './position-store.types';
import type { ReloadNotice, ReloadReason } from './realtime-client.types';

/** What the client must do with the events the sequencer let through, in this order. */
export type SequencerOutcome =
  { kind: 'deliver'; event: EventEnvelope } | { kind: 'reload'; notice: ReloadNotice };

export type AcceptedSubscription = Extract<SubscribeResult, { ok: true }>;

/** Events of a stream whose subscribe (and replay) is still under way. */
interface Hold {
  /** The replay runs up to this seq; `Infinity` while the subscribe is unanswered. */
  until: number;
  buffer: EventEnvelope[];
}

/**
 * Turns what the socket receives into what the app may see, per stream: in `seq` order,
 * each event once, and a reload notice wherever events were missed.
 *
 * While a subscribe is in flight the stream is held: live events (the server may deliver
 * `user:<sub>` live before its replay) wait until the replay they follow has arrived, so
 * that an early live event is not taken for a gap.
 */
export class StreamSequencer {
  private readonly positions = new Map<string, StreamPosition>();
  private readonly holds = new Map<string, Hold>();

  constructor(private readonly store: PositionStore) {}

  /** The last delivered position, from memory or else from the store. */
  position(stream: string): StreamPosition | undefined {
    const known = this.positions.get(stream);
    if (known) return known;
    const stored = this.store.get(stream);
    if (stored) this.positions.set(stream, stored);
    return stored;
  }

  /** A subscribe for `stream` was sent: hold its events until `settle` or `release`. */
  hold(stream: string): void {
    const hold = this.holds.get(stream);
    if (hold) hold.until = Infinity;
    else this.holds.set(stream, { until: Infinity, buffer: [] });
  }

  isHolding(stream: string): boolean {
    return this.holds.has(stream);
  }

  accept(event: EventEnvelope): SequencerOutcome[] {
    const hold = this.holds.get(event.stream);
    if (!hold) return this.apply(event);
    hold.buffer.push(event);
    return this.drain(event.stream, hold);
  }

  /** The server accepted the subscribe: `requested` is the position the client sent. */
  settle(
    stream: string,
    result: AcceptedSubscription,
    requested: StreamPosition | undefined,
  ): SequencerOutcome[] {
    const hold = this.holds.get(stream) ?? { until: Infinity, buffer: [] };
    this.holds.set(stream, hold);
    const out: SequencerOutcome[] = [];
    const current = this.position(stream);
    const start = result.position;
    if (result.recovered && current && current.epoch === start.epoch) {
      // The replay of (current.seq, start.seq] follows, or has already been delivered.
      hold.until = start.seq;
    } else {
      // Without a requested position the stream simply starts live; with one, the missed
      // events will not come and the app must reload.
      if (requested || result.reason) {
        out.push(reload(stream, result.reason ?? (result.recovered ? 'history_reset' : 'gap'), start));
      }
      this.setPosition(stream, start);
      hold.until = start.seq;
    }
    out.push(...this.drain(stream, hold));
    return out;
  }

  /** The subscribe failed: stop holding and treat what was held as live events. */
  release(stream: string): SequencerOutcome[] {
    const hold = this.holds.get(stream);
    if (!hold) return [];
    this.holds.delete(stream);
    return sortBySeq(hold.buffer).flatMap((event) => this.apply(event));
  }

  /** The promised replay did not arrive in time: report the hole instead of waiting forever. */
  expire(stream: string): SequencerOutcome[] {
    const hold = this.holds.get(stream);
    const current = this.position(stream);
    if (!hold || hold.until === Infinity || !current || current.seq >= hold.until) return [];
    const resume = { seq: hold.until, epoch: current.epoch };
    this.setPosition(stream, resume);
    return [reload(stream, 'gap', resume), ...this.drain(stream, hold)];
  }

  /** The connection was lost: held events are dropped, the resubscribe replays them. */
  reset(): void {
    this.holds.clear();
  }

  /**
   * The server continues the stream after `position` (a `tail`, or output it skipped): the
   * next event follows it without being taken for a gap. Never moves back within an epoch,
   * so events that already arrived are not delivered twice.
   */
  skipTo(stream: string, position: StreamPosition): void {
    const current = this.position(stream);
    if (current && current.epoch === position.epoch && current.seq >= position.seq) return;
    this.setPosition(stream, position);
  }

  /** Forgets a stream's position (memory and store) and anything held for it. */
  forget(stream: string): void {
    this.positions.delete(stream);
    this.holds.delete(stream);
    this.store.delete(stream);
  }

  private drain(stream: string, hold: Hold): SequencerOutcome[] {
    sortBySeq(hold.buffer);
    const out: SequencerOutcome[] = [];
    for (let next = hold.buffer[0]; next; next = hold.buffer[0]) {
      const current = this.position(stream);
      const waiting = !current || current.seq < hold.until;
      // While waiting, only what is certainly in order may pass; the rest waits its turn.
      if (waiting && !(current && (follows(current, next) || isDuplicate(current, next)))) break;
      hold.buffer.shift();
      out.push(...this.apply(next));
    }
    const current = this.position(stream);
    if (current && current.seq >= hold.until) this.holds.delete(stream);
    return out;
  }

  private apply(event: EventEnvelope): SequencerOutcome[] {
    const current = this.position(event.stream);
    if (current && isDuplicate(current, event)) return [];
    const out: SequencerOutcome[] = [];
    if (current && !follows(current, event)) {
      const reason: ReloadReason = current.epoch === event.epoch ? 'gap' : 'history_reset';
      out.push(reload(event.stream, reason, { seq: Math.max(0, event.seq - 1), epoch: event.epoch }));
    }
    this.setPosition(event.stream, { seq: event.seq, epoch: event.epoch });
    out.push({ kind: 'deliver', event });
    return out;
  }

  private setPosition(stream: string, position: StreamPosition): void {
    const copy = { seq: position.seq, epoch: position.epoch };
    this.positions.set(stream, copy);
    this.store.set(stream, copy);
  }
}

const follows = (current: StreamPosition, event: EventEnvelope): boolean =>
  event.epoch === current.epoch && event.seq === current.seq + 1;

const isDuplicate = (current: StreamPosition, event: EventEnvelope): boolean =>
  event.epoch === current.epoch && event.seq <= current.seq;

const reload = (stream: string, reason: ReloadReason, position: StreamPosition): SequencerOutcome => ({
  kind: 'reload',
  notice: { stream, reason, position: { seq: position.seq, epoch: position.epoch } },
});

const sortBySeq = (events: EventEnvelope[]): EventEnvelope[] => events.sort((a, b) => a.seq - b.seq);
