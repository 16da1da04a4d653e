import { h } from '../dom.util';
import type { JobView } from '../state/job-board.store';

/** A job's progress bar with its state; indeterminate while it reports no number. */
export function progressBar(job: JobView): HTMLElement {
  const percent = job.percent ?? (job.state === 'completed' ? 100 : undefined);
  const label = `${job.name ?? 'job'} ${job.jobId.slice(0, 8)} · ${job.state}${percent === undefined ? '' : ` · ${Math.round(percent)}%`}`;
  return h('div', { class: `job state-${job.state}`, 'data-testid': 'job', 'data-job-id': job.jobId, 'data-state': job.state },
    h('div', { class: 'job-label' }, label, job.detail ? h('span', { class: 'muted' }, ` ${job.detail}`) : null),
    h('div', { class: `bar${percent === undefined ? ' indeterminate' : ''}`, role: 'progressbar', 'aria-valuenow': percent ?? 0, 'aria-valuemin': 0, 'aria-valuemax': 100 },
      h('div', { class: 'fill', style: `width: ${percent ?? 30}%` })));
}
