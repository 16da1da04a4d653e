import { Logger } from '@nestjs/common';
import type { QueueEventsService } from '../queue-events.service';
import type { BridgeOptions } from '../queue-options.types';
import type { BridgeStateStore } from './bridge-state.store';
import type { BullJobsStore } from './bull-jobs.store';
import { coalesce, type JobFact } from './job-fact.util';
import { JobStateTracker } from './job-state.tracker';
import { parseStreamEntry, type JobStreamEntry, type RawStreamEntry } from './job-stream-entry.util';
import type { QueueEventStream } from './queue-event-stream.store';
import type { QueueOverviewMetrics } from './queue-overview.metrics';
import { advance, type StreamCursor } from './stream-cursor.util';
import { STREAM_START, streamIdTime } from './stream-id.util';

/**
 * Entries per read. A read's reply is parsed in one go, and the worker often shares this
 * process: 250 entries keep that under a millisecond.
 */
const READ_COUNT = 250;
/**
 * Facts handed to the publish path at a time, with a turn of the event loop between slices:
 * a batch of a busy queue holds hundreds of jobs, and validating, numbering and storing
 * all their events at once kept in-process workers' timers waiting for tens of ms.
 */
const PUBLISH_SLICE = 64;
/** Most jobs named in one `job.reload_required`. */
const MAX_STALE_JOBS = 1000;

/** Entries after `after` up to `next` of the event stream, published as one unit. */
interface Batch {
  after: StreamCursor;
  next: StreamCursor;
  entries: RawStreamEntry[];
  /** Entries right after `after` were trimmed before they were read. */
  gap: boolean;
}

const START: StreamCursor = { id: STREAM_START, ordinal: undefined };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One batch at a time: read the entries of one coalescing window, turn them into events,
 * mark the batch in flight, publish, commit the position. Crash-safe: a successor finds
 * the batch in flight, re-reads exactly its entries, derives the same events (same ids)
 * and publishes only those not stored yet.
 */
export class BridgeBatchService {
  private readonly logger = new Logger(BridgeBatchService.name);
  private tracker = new JobStateTracker();

  constructor(
    private readonly queue: string,
    /** Prefix of event keys: unique per app and queue. */
    private readonly namespace: string,
    private readonly stream: QueueEventStream,
    private readonly state: BridgeStateStore,
    private readonly jobs: BullJobsStore,
    private readonly events: QueueEventsService,
    private readonly metrics: QueueOverviewMetrics,
    private readonly options: Pick<BridgeOptions, 'coalesceMs' | 'maxBatchEntries' | 'pollMs'>,
    /** Told, per bridged fact, how long after BullMQ recorded it the event was stored. */
    private readonly observeLag: (lagMs: number) => void = () => undefined,
  ) {}

  /** Starts a leadership: forgets job states, finishes a batch left in flight; returns the position. */
  async resume(): Promise<StreamCursor> {
    this.tracker = new JobStateTracker();
    const { position = START, inflight } = await this.state.load();
    if (!inflight) return position;
    const read = await this.stream.range(position.id, inflight);
    const { gap, next } = advance(position, read);
    const published = await this.publish({ after: position, next, entries: read.entries, gap }, true);
    this.logger.log({ msg: 'finished a batch left in flight', queue: this.queue, after: position.id, upTo: inflight, published });
    return next;
  }

  /** Reads and publishes the next batch; returns the new position (unchanged when idle). */
  async next(after: StreamCursor, stopping: () => boolean): Promise<StreamCursor> {
    const batch = await this.collect(after, stopping);
    if (!batch) return after;
    await this.publish(batch, false);
    return batch.next;
  }

  /** Entries of one window: from the first new entry, `coalesceMs` long (or `maxBatchEntries`). */
  private async collect(after: StreamCursor, stopping: () => boolean): Promise<Batch | undefined> {
    const first = await this.stream.readAfter(after.id, READ_COUNT);
    const { gap, next: firstNext } = advance(after, first);
    if (first.scanned === 0 && !gap) {
      await sleep(this.options.pollMs);
      return undefined;
    }
    const entries = [...first.entries];
    let [next, scanned, full] = [firstNext, first.scanned, first.scanned === READ_COUNT];
    const deadline = Date.now() + this.options.coalesceMs;
    while (!stopping() && scanned < this.options.maxBatchEntries && Date.now() < deadline) {
      if (!full) await sleep(Math.min(this.options.pollMs, Math.max(0, deadline - Date.now())));
      const more = await this.stream.readAfter(next.id, READ_COUNT);
      const step = advance(next, more);
      if (step.gap) break; // that gap starts the next batch, which reports it
      entries.push(...more.entries);
      [next, scanned, full] = [step.next, scanned + more.scanned, more.scanned === READ_COUNT];
    }
    return { after, next, entries, gap };
  }

  private async publish(batch: Batch, resumed: boolean): Promise<number> {
    await this.state.begin(batch.next.id);
    let published = batch.gap ? await this.reportGap(batch.after) : 0;
    const entries = batch.entries.map(parseStreamEntry).filter((e): e is JobStreamEntry => e !== undefined);
    await this.learnNewJobs(entries);
    const facts = coalesce(this.queue, entries, this.tracker);
    const events = facts.map((fact) => Object.assign({ key: `${this.namespace}|${fact.entryId}`, occurredAt: new Date(fact.at) }, fact));
    // Slices go out in order (each stream's events keep theirs); all are stored before the commit.
    const slices: Array<Promise<number>> = [];
    for (let i = 0; i < events.length; i += PUBLISH_SLICE) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const slice = this.events.jobEvents(events.slice(i, i + PUBLISH_SLICE), { skipStored: resumed });
      // Handled now, as a failure may come while later slices are still being handed over;
      // `Promise.all` below still rethrows it.
      slice.catch(() => undefined);
      slices.push(slice);
    }
    for (const count of await Promise.all(slices)) published += count;
    // Only for fresh batches: a resumed one's entries are as old as the outage was, which is
    // a different figure (the lease hand-over) from the bridge's lag.
    if (!resumed) {
      const now = Date.now();
      for (const fact of facts) this.observeLag(now - fact.at);
    }
    await this.state.commit(batch.next, this.endings(facts));
    return published;
  }

  /** Looks up each job not seen yet: its task, and whether an earlier batch already ended it. */
  private async learnNewJobs(entries: JobStreamEntry[]): Promise<void> {
    const fresh = [...new Set(entries.map((e) => e.jobId))].filter((jobId) => !this.tracker.knows(jobId));
    if (fresh.length === 0) return;
    const [info, finished] = await Promise.all([this.jobs.info(fresh), this.state.finishedAmong(fresh)]);
    for (const jobId of fresh) this.tracker.learn(jobId, info.get(jobId) ?? {}, finished.has(jobId));
  }

  /** Per job, whether the batch left it finished or running again; also feeds the overview. */
  private endings(facts: JobFact[]): { closed: string[]; reopened: string[] } {
    const last = new Map<string, boolean>();
    for (const fact of facts) {
      if (fact.type === 'job.progress') continue;
      if (fact.type === 'job.completed') this.metrics.recordCompleted(fact.payload.durationMs);
      if (fact.type === 'job.failed') this.metrics.recordFailed();
      last.set(fact.payload.jobId, fact.type === 'job.completed' || fact.type === 'job.failed' || fact.type === 'job.removed');
    }
    const closed = [...last].filter(([, ended]) => ended).map(([jobId]) => jobId);
    const reopened = [...last].filter(([, ended]) => !ended).map(([jobId]) => jobId);
    return { closed, reopened };
  }

  /** Events after `after` are gone: name the jobs to reload, and forget what we knew of them. */
  private async reportGap(after: StreamCursor): Promise<number> {
    const { jobs, truncated } = await this.jobs.staleSince(streamIdTime(after.id), MAX_STALE_JOBS);
    for (const job of jobs) this.tracker.forget(job.jobId);
    this.logger.warn({ msg: 'queue events were trimmed before the bridge read them; clients must reload', queue: this.queue, after: after.id, jobs: jobs.length, truncated });
    // One notice per lost position: a retried batch finds it stored and does not repeat it.
    return this.events.reloadRequired(`${this.namespace}|gap|${after.id}`, { queue: this.queue, reason: 'events_trimmed', jobs, truncated }, { skipStored: true });
  }
}
