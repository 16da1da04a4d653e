import type { EventPayloads } from '@taskdash/contract';
import { ago } from '../dom.util';

/** Progress as a percentage when it is a number (or `{ percent }`), else undefined. */
export function percentOf(progress: unknown): number | undefined {
  if (typeof progress === 'number') return Math.max(0, Math.min(100, progress));
  const percent = (progress as { percent?: unknown } | null)?.percent;
  return typeof percent === 'number' ? percent : undefined;
}

export function progressText(progress: unknown): string {
  const percent = percentOf(progress);
  if (percent !== undefined) return `${Math.round(percent)}%`;
  return progress === 0 || progress === null || progress === undefined ? '—' : JSON.stringify(progress).slice(0, 60);
}

export const when = (iso: string | null): string => (iso ? ago(iso) : '—');

const VERBS: Record<EventPayloads['queue.action']['action'], string> = {
  retry: 'retried',
  remove: 'removed',
  promote: 'promoted',
  pause: 'paused the queue',
  resume: 'resumed the queue',
};

/** "olga retried simulated 12", "olga paused the queue". */
export function describeAction(action: EventPayloads['queue.action']): string {
  const job = action.jobId ? ` ${action.name ?? 'job'} ${action.jobId}` : '';
  return `${action.by} ${VERBS[action.action]}${job}`;
}
