import type { EventEnvelope } from '@taskdash/contract';
import { ago, h } from '../dom.util';
import { EXECUTIONS_QUEUE } from '../live/live-session';
import { summarize } from './event-summary';
import { describeAction, percentOf, progressText } from './job-format.util';
import { jobPath } from './queue.view';
import type { JobRow, TimelineRow } from './timeline-fold';

const time = (event: EventEnvelope) => h('time', { datetime: event.occurredAt, title: event.occurredAt }, ago(event.occurredAt));

/** One row of a task's folded timeline; `operator` adds a link to the job's page. */
export function timelineRow(row: TimelineRow, operator: boolean): HTMLElement {
  if (row.kind === 'event') {
    return h('li', { 'data-type': row.event.type, class: row.major ? 'major' : undefined },
      time(row.event), ' ', h('code', {}, `#${row.event.seq}`), ' ', summarize(row.event));
  }
  return jobRow(row, operator);
}

function jobRow(row: JobRow, operator: boolean): HTMLElement {
  const percent = row.state === 'completed' ? 100 : percentOf(row.progress);
  const seqs = row.first.seq === row.last.seq ? `#${row.first.seq}` : `#${row.first.seq}–${row.last.seq}`;
  const what = row.executionId ? 'agent run' : (row.name ?? 'job');
  return h('li', { 'data-type': 'job', 'data-job-id': row.jobId, 'data-state': row.state, 'data-updates': row.updates, class: `job-fold state-${row.state}${row.major ? ' major' : ''}` },
    time(row.last), ' ', h('code', {}, seqs), ' ',
    h('strong', {}, `${what} ${row.jobId.slice(0, 8)}`), ` ${row.state}`,
    row.progress !== undefined && row.state !== 'completed' ? ` · ${progressText(row.progress)}` : '',
    h('span', { class: 'muted' }, ` · ${row.updates} update${row.updates === 1 ? '' : 's'}`),
    ...row.actions.map((a) => h('span', { class: 'chip action' }, describeAction(a))),
    percent !== undefined ? h('span', { class: 'mini-bar' }, h('span', { style: `width: ${percent}%` })) : null,
    row.executionId ? h('a', { href: `#/executions/${row.executionId}`, 'data-testid': 'timeline-execution-link' }, ' output →') : null,
    operator ? h('a', { href: jobPath(EXECUTIONS_QUEUE, row.jobId), 'data-testid': 'timeline-job-link' }, ' job →') : null);
}
