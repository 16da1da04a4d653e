import type { StoredEvent } from './chaos-database';

type Phase = 'none' | 'queued' | 'active' | 'done';

/** How the jobs' state changes in one stream hold up. */
export interface JobTimelineVerdict {
  /** Jobs expected to end (queued by the harness) that have no completed/failed event. */
  noTerminal: number;
  /** A second completed/failed (or removed) for one job. */
  extraTerminal: number;
  /** A state change that does not follow from the one before (repeated, skipped, backwards). */
  backwards: number;
  /** Progress lower than the one before within one attempt, or a completed job not at 100. */
  progress: number;
  /** `job.reload_required` notices: the bridge lost events (trimmed) and said so. */
  gapNotices: number;
  /** Problems of jobs a gap notice named (reported, not counted above). */
  excused: number;
  /** The terminal event of each job: `job.completed` or `job.failed`. */
  terminal: Map<string, string>;
  examples: string[];
}

interface JobState {
  phase: Phase;
  progress: number;
}

const payloadOf = (event: StoredEvent) => event.payload as { jobId?: string; progress?: unknown; jobs?: Array<{ jobId: string }> };

/**
 * Checks each job's events in one stream (seq order): `waiting → active → progress… →
 * completed|failed`, where a stall or a retry starts the attempt over; progress never goes
 * down within an attempt and a completed job's last progress is 100; exactly one end.
 * Jobs named by a `job.reload_required` may legitimately miss events: their problems are
 * counted apart, as `excused`.
 */
export function checkJobTimelines(stream: string, events: readonly StoredEvent[], expectedJobs: Iterable<string>): JobTimelineVerdict {
  const v: JobTimelineVerdict = { noTerminal: 0, extraTerminal: 0, backwards: 0, progress: 0, gapNotices: 0, excused: 0, terminal: new Map(), examples: [] };
  const jobs = new Map<string, JobState>();
  const stale = new Set<string>();
  const problems: Array<{ jobId: string; kind: 'extraTerminal' | 'backwards' | 'progress'; text: string }> = [];
  const problem = (jobId: string, kind: (typeof problems)[number]['kind'], text: string) => problems.push({ jobId, kind, text: `${stream} job ${jobId}: ${text}` });
  for (const event of events) {
    const payload = payloadOf(event);
    if (event.type === 'job.reload_required') {
      v.gapNotices++;
      for (const job of payload.jobs ?? []) stale.add(job.jobId);
      continue;
    }
    if (!event.type.startsWith('job.') || payload.jobId === undefined) continue;
    const job = jobs.get(payload.jobId) ?? { phase: 'none', progress: -1 };
    jobs.set(payload.jobId, job);
    const expect = (from: Phase[], to: Phase) => {
      if (!from.includes(job.phase)) problem(payload.jobId!, 'backwards', `${event.type} (seq ${event.seq}) while ${job.phase}`);
      job.phase = to;
    };
    switch (event.type) {
      case 'job.waiting':
        expect(['none'], 'queued');
        break;
      case 'job.active':
        expect(['queued'], 'active');
        break;
      case 'job.stalled':
      case 'job.retrying':
        expect(['active'], 'queued');
        job.progress = -1; // a new attempt starts from 0
        break;
      case 'job.progress': {
        const value = typeof payload.progress === 'number' ? payload.progress : NaN;
        if (job.phase !== 'active') problem(payload.jobId, 'backwards', `progress ${value} (seq ${event.seq}) while ${job.phase}`);
        else if (!(value >= job.progress)) problem(payload.jobId, 'progress', `progress ${value} after ${job.progress} (seq ${event.seq})`);
        job.progress = value;
        break;
      }
      case 'job.completed':
      case 'job.failed':
      case 'job.removed':
        if (job.phase === 'done') problem(payload.jobId, 'extraTerminal', `${event.type} (seq ${event.seq}) after its end`);
        else expect(event.type === 'job.completed' ? ['active'] : ['queued', 'active'], 'done');
        if (event.type === 'job.completed' && job.progress !== 100) problem(payload.jobId, 'progress', `completed at progress ${job.progress}`);
        if (!v.terminal.has(payload.jobId)) v.terminal.set(payload.jobId, event.type);
        job.phase = 'done';
        break;
      default:
        break;
    }
  }
  for (const jobId of expectedJobs) {
    if (v.terminal.has(jobId)) continue;
    if (stale.has(jobId)) v.excused++;
    else {
      v.noTerminal++;
      if (v.examples.length < 10) v.examples.push(`${stream} job ${jobId}: no completed/failed (last ${jobs.get(jobId)?.phase ?? 'nothing'})`);
    }
  }
  for (const { jobId, kind, text } of problems) {
    if (stale.has(jobId)) v.excused++;
    else v[kind]++;
    if (v.examples.length < 10) v.examples.push(stale.has(jobId) ? `${text} (excused: named by a reload notice)` : text);
  }
  return v;
}
