import type { EventPayloads } from '@taskdash/contract';

type Counts = EventPayloads['queue.overview']['counts'];

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * What the bridge saw between two overviews: finished jobs and their active-to-finished
 * durations. `take` turns it with the queue's counts into a `queue.overview`, or nothing
 * when the queue is idle and unchanged (so an idle queue does not fill its stream).
 */
export class QueueOverviewMetrics {
  private completed = 0;
  private failed = 0;
  private durations: number[] = [];
  private windowStart = Date.now();
  private lastCounts = '';

  recordCompleted(durationMs: number | undefined): void {
    this.completed++;
    if (durationMs !== undefined) this.durations.push(durationMs);
  }

  recordFailed(): void {
    this.failed++;
  }

  take(queue: string, counts: Counts, now = Date.now()): EventPayloads['queue.overview'] | undefined {
    const windowMs = Math.max(1, now - this.windowStart);
    const countsKey = JSON.stringify(counts);
    const idle = this.completed === 0 && this.failed === 0 && countsKey === this.lastCounts;
    const overview: EventPayloads['queue.overview'] = {
      queue,
      counts,
      windowMs,
      completedPerSec: round((this.completed * 1000) / windowMs),
      failedPerSec: round((this.failed * 1000) / windowMs),
      ...(this.durations.length > 0 ? { durationMs: summarize(this.durations) } : {}),
    };
    [this.completed, this.failed, this.durations, this.windowStart, this.lastCounts] = [0, 0, [], now, countsKey];
    return idle ? undefined : overview;
  }
}

function summarize(durations: number[]): NonNullable<EventPayloads['queue.overview']['durationMs']> {
  const sorted = [...durations].sort((a, b) => a - b);
  const p95 = sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
  const avg = sorted.reduce((sum, d) => sum + d, 0) / sorted.length;
  return { avg: round(avg, 1), p95, max: sorted[sorted.length - 1] ?? 0, samples: sorted.length };
}
