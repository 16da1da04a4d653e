import type { EventEnvelope } from '@taskdash/contract';

/** Recent seqs remembered per stream, so a dispatcher a little behind the tracker is still answered. */
const HISTORY = 256;

interface Followed {
  /** Highest seq seen with no gap since following began. */
  through: number;
  /** Output bytes up to `through`; undefined until an output event or a lookup says. */
  end: number | undefined;
  /** [seq, end] of recent seqs (a ring). */
  history: Array<[number, number | undefined]>;
}

/**
 * Where the output stands at each recent seq of the execution streams it follows, fed with
 * every event this node receives (its own publisher's and other nodes'). It answers "how
 * many output bytes do events up to seq N carry" synchronously, at the moment a skipped
 * viewer rejoins the room, when no query may run between reading the head and joining.
 */
export class OutputEndTracker {
  private readonly followed = new Map<string, Followed>();

  /** Starts following `stream` from `seq` (known output end `end`), unless already following it. */
  follow(stream: string, seq: number, end?: number): void {
    if (this.followed.has(stream)) return;
    this.followed.set(stream, { through: seq, end, history: [[seq, end]] });
  }

  unfollow(stream: string): void {
    this.followed.delete(stream);
  }

  isFollowing(stream: string): boolean {
    return this.followed.has(stream);
  }

  /** A lookup's answer for `seq`: fills what is still unknown from `seq` on. */
  learn(stream: string, seq: number, end: number): void {
    const f = this.followed.get(stream);
    if (!f) return;
    for (const entry of f.history) if (entry[0] >= seq && entry[1] === undefined) entry[1] = end;
    if (f.end === undefined && f.through >= seq) f.end = end;
  }

  observe(events: readonly EventEnvelope[]): void {
    for (const event of events) {
      const f = this.followed.get(event.stream);
      if (!f || event.seq <= f.through) continue;
      if (event.seq !== f.through + 1) {
        // A gap (a lost cross-node message): what lies in it is unknown. Callers follow again.
        this.followed.delete(event.stream);
        continue;
      }
      f.through = event.seq;
      if (event.type === 'execution.output') {
        const { offset, length } = event.payload as { offset: number; length: number };
        f.end = offset + length;
      }
      f.history.push([f.through, f.end]);
      if (f.history.length > HISTORY) f.history.shift();
    }
  }

  /** Output bytes carried by the stream's events up to `seq`, when known. */
  endAt(stream: string, seq: number): number | undefined {
    const f = this.followed.get(stream);
    if (!f || seq > f.through) return undefined;
    for (let i = f.history.length - 1; i >= 0; i--) {
      const [at, end] = f.history[i]!;
      if (at === seq) return end;
      if (at < seq) return undefined;
    }
    return undefined;
  }
}
