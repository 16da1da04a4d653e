import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';

/** Timer resolution of the delay histogram; the histogram records it on top of any lag. */
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

export interface EventLoopReading {
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Share of the interval the loop was busy, 0-1. */
  utilization: number;
}

const lag = (ns: number): number => Math.max(0, Math.round((ns / NS_PER_MS - RESOLUTION_MS) * 100) / 100);

/**
 * Event-loop delay (libuv timer histogram) and utilisation (time the loop was not idle) over
 * the window since the last `read`. Both are what Node itself measures, at a cost of one
 * 10 ms timer; a read costs a few microseconds.
 */
export class EventLoopProbe {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private last: EventLoopUtilization = performance.eventLoopUtilization();

  start(): void {
    this.delay.enable();
    this.last = performance.eventLoopUtilization();
  }

  stop(): void {
    this.delay.disable();
  }

  read(): EventLoopReading {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    // An empty histogram (no timer tick yet) reports NaN percentiles: call it no lag.
    const count = this.delay.count;
    const reading = {
      lagP50Ms: count > 0 ? lag(this.delay.percentile(50)) : 0,
      lagP99Ms: count > 0 ? lag(this.delay.percentile(99)) : 0,
      lagMaxMs: count > 0 ? lag(this.delay.max) : 0,
      utilization: Math.min(1, Math.max(0, Number.isFinite(utilization) ? utilization : 0)),
    };
    this.delay.reset();
    return reading;
  }
}
