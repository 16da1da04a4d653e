import { queueStream } from '@taskdash/contract';
import { ApiException } from '../api/api.client';
import type { JobDetail, JobListState } from '@taskdash/contract';
import type { JobAction } from '../api/api.types';
import { h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';
import { describeAction, percentOf, when } from './job-format.util';
import { refreshOn } from './live-refresh.util';
import { queuePath } from './queue.view';

/** Which actions a job's state allows (the API refuses the others with 409). */
const ALLOWED: Record<JobAction, (state: string) => boolean> = {
  retry: (state) => state === 'failed',
  promote: (state) => state === 'delayed',
  remove: (state) => state !== 'active',
};
const LABELS: Record<JobAction, string> = { retry: 'Retry', promote: 'Promote', remove: 'Remove' };

/**
 * For operators: one job with its data, progress, logs, attempts, failure reason and stack
 * traces, links to its task and execution, and the actions its state allows. Reloads after
 * each event about the job, so another operator's retry or removal shows at once.
 */
export function jobView(live: LiveSession, queue: string, jobId: string) {
  const body = h('div', { class: 'job-detail' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'job-error' });
  const buttons = Object.fromEntries((Object.keys(LABELS) as JobAction[]).map((action) => [action,
    h('button', { class: action === 'remove' ? 'danger' : 'primary', 'data-testid': `job-${action}`, onclick: () => void act(action) }, LABELS[action])])) as Record<JobAction, HTMLButtonElement>;
  let job: JobDetail | undefined;

  const act = async (action: JobAction) => {
    Object.values(buttons).forEach((b) => (b.disabled = true));
    try {
      await live.api.jobAction(queue, jobId, action);
      error.textContent = '';
    } catch (e) {
      error.textContent = e instanceof ApiException ? `${e.code}: ${e.message}` : String(e);
    }
    await load();
  };
  const load = async () => {
    try {
      job = await live.api.getJob(queue, jobId);
      render(job);
    } catch (e) {
      if (!(e instanceof ApiException && e.status === 404)) return void (error.textContent = String(e));
      job = undefined;
      const removal = live.jobs.actions(queue).find((a) => a.jobId === jobId && a.action === 'remove');
      replaceChildren(body, h('p', { class: 'muted', 'data-testid': 'job-gone' },
        removal ? `${describeAction(removal)}.` : 'This job is not in the queue (removed, or kept no longer).'));
      Object.values(buttons).forEach((b) => (b.hidden = true));
    }
  };
  const render = (j: JobDetail) => {
    for (const action of Object.keys(buttons) as JobAction[]) {
      buttons[action].hidden = !ALLOWED[action](j.state);
      buttons[action].disabled = false;
    }
    replaceChildren(body, ...jobParts(j, queue));
  };

  const off = refreshOn(live, queueStream(queue), (event) => (event.payload as { jobId?: string }).jobId === jobId, load);
  void load();
  const element = h('section', { class: 'panel job-page', 'data-testid': 'job-page' },
    h('p', {}, h('a', { href: `#/queues/${queue}`, 'data-testid': 'back-to-queue' }, `← queue ${queue}`)),
    h('h2', {}, `Job ${jobId}`), h('div', { class: 'row' }, ...Object.values(buttons)), error, body);
  return { element, dispose: off };
}

function jobParts(job: JobDetail, queue: string): HTMLElement[] {
  const percent = percentOf(job.progress);
  const rows: Array<[string, Node | string]> = [
    ['state', h('span', { class: `badge status-${job.state}`, 'data-testid': 'job-state', 'data-state': job.state }, job.state)],
    ['name', job.name],
    ['attempts', `${job.attemptsMade} made of ${job.attempts} allowed`],
    ['added', when(job.createdAt)],
    ['processed', when(job.processedAt)],
    ['finished', when(job.finishedAt)],
    ...(job.delayedUntil ? [['runs at', new Date(job.delayedUntil).toLocaleString()] as [string, string]] : []),
    ['task', job.taskId ? h('a', { href: `#/tasks/${job.taskId}`, 'data-testid': 'job-task-link' }, job.taskId) : '—'],
    ['execution', job.executionId ? h('a', { href: `#/executions/${job.executionId}`, 'data-testid': 'job-execution-link' }, job.executionId) : '—'],
  ];
  return [
    h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': percent ?? 0, 'aria-valuemin': 0, 'aria-valuemax': 100, 'data-testid': 'job-progress' },
      h('div', { class: 'fill', style: `width: ${percent ?? 0}%` })),
    job.failedReason ? h('p', { class: 'error', 'data-testid': 'job-reason' }, `Failed: ${job.failedReason}`) : h('span'),
    h('h3', {}, `Stack traces (${job.stacktrace.length})`),
    ...job.stacktrace.map((trace, i) => h('details', { open: i === job.stacktrace.length - 1 }, h('summary', {}, `attempt ${i + 1}`), h('pre', { 'data-testid': 'job-stacktrace' }, trace))),
    h('h3', {}, 'Data'), h('pre', { 'data-testid': 'job-data' }, JSON.stringify(job.data, null, 2)),
    h('h3', {}, 'Return value'), h('pre', {}, JSON.stringify(job.returnValue, null, 2)),
    h('h3', {}, `Logs (${job.logs.lines.length} of ${job.logs.total})`),
    h('pre', { class: 'logs', 'data-testid': 'job-logs' }, job.logs.lines.join('\n') || '(no log lines)'),
    h('p', {}, h('a', { href: queuePath(queue, listedState(job.state)) }, `all ${job.state} jobs`)),
  ];
}

const listedState = (state: string): JobListState =>
  state === 'active' || state === 'delayed' || state === 'completed' || state === 'failed' ? state : 'waiting';
