/**
 * Deadlines of many items on one timer. An item waits in the slot of `resolutionMs` its
 * deadline falls in; one interval, running only while some item waits, fires every slot
 * whose time has come. An item therefore fires at or after its deadline, never before, and
 * at most one resolution (plus the timer's own lateness) after it.
 *
 * Why not a `setTimeout` per item: for thousands of idle sockets each timer costs a Timeout,
 * its closure and context, and usually a timer list of its own (deadlines rarely share a
 * duration), ~400 bytes; here an item costs an entry in a slot's Set.
 */
export class DeadlineWheel<T> {
  private readonly slots = new Map<number, Set<T>>();
  private readonly origin: number;
  /** Every slot up to this one has fired. */
  private fired = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly resolutionMs: number,
    private readonly onDue: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.origin = now();
  }

  /** Items waiting. */
  get size(): number {
    let size = 0;
    for (const items of this.slots.values()) size += items.size;
    return size;
  }

  /**
   * Schedules `item` for `deadline` (ms since the epoch); a deadline already past fires on
   * the next tick. Returns the slot, which `remove` needs (the caller keeps it).
   */
  add(item: T, deadline: number): number {
    const slot = Math.max(this.fired + 1, Math.ceil((deadline - this.origin) / this.resolutionMs));
    let items = this.slots.get(slot);
    if (!items) this.slots.set(slot, (items = new Set()));
    items.add(item);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.resolutionMs);
      this.timer.unref();
    }
    return slot;
  }

  remove(item: T, slot: number): void {
    const items = this.slots.get(slot);
    if (!items?.delete(item) || items.size > 0) return;
    this.slots.delete(slot);
    if (this.slots.size === 0) this.stop();
  }

  /** Fires every slot whose time has come (the interval calls this). */
  tick(): void {
    const due = Math.floor((this.now() - this.origin) / this.resolutionMs);
    while (this.fired < due) {
      const slot = ++this.fired;
      const items = this.slots.get(slot);
      if (!items) continue;
      // Iterated in place: an item removed meanwhile (its socket closed by an earlier one's
      // `onDue`) is skipped; an item scheduled again lands in a later slot.
      for (const item of items) this.onDue(item);
      this.slots.delete(slot);
    }
    if (this.slots.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
