import type { EventEnvelope, EventPayloads } from '@taskdash/contract';

type Describers = { [K in keyof EventPayloads]?: (payload: EventPayloads[K]) => string };

const job = (p: { jobId: string; name?: string | undefined }) => `${p.name ?? 'job'} ${p.jobId.slice(0, 8)}`;

const DESCRIBE: Describers = {
  'task.created': (p) => `created "${p.task.title}" by ${p.task.ownerId}`,
  'task.updated': (p) => `changed ${Object.keys(p.changes).join(' and ')}`,
  'task.status_changed': (p) => `status ${p.from} → ${p.to}`,
  'task.member_added': (p) => `${p.userId} joined`,
  'task.member_removed': (p) => `${p.userId} left`,
  'task.deleted': () => 'deleted',
  'job.waiting': (p) => `${job(p)} queued`,
  'job.active': (p) => `${job(p)} started`,
  'job.progress': (p) => `${job(p)} at ${typeof p.progress === 'number' ? `${p.progress}%` : JSON.stringify(p.progress)}`,
  'job.completed': (p) => `${job(p)} completed${p.durationMs === undefined ? '' : ` in ${(p.durationMs / 1000).toFixed(1)} s`}`,
  'job.failed': (p) => `${job(p)} failed: ${p.reason}`,
  'job.stalled': (p) => `${job(p)} stalled`,
  'job.retrying': (p) => `${job(p)} retrying`,
  'job.removed': (p) => `${job(p)} removed`,
  'job.reload_required': (p) => `job history lost for ${p.jobs.length} job(s); reload`,
};

/** One line about an event, for timelines. */
export function summarize(event: EventEnvelope): string {
  const describe = DESCRIBE[event.type] as ((payload: unknown) => string) | undefined;
  return describe ? describe(event.payload) : event.type;
}
