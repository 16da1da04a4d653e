import { queueStream } from '@taskdash/contract';
import { JOB_LIST_STATES, type JobListState, type JobPage, type JobSummary, type QueueSummary } from '@taskdash/contract';
import { ago, h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';
import { describeAction, progressText, when } from './job-format.util';
import { refreshOn } from './live-refresh.util';

/** Jobs per page; the server bounds it too. */
export const PAGE_SIZE = 20;

export const queuePath = (queue: string, state: JobListState, page = 1): string => `#/queues/${queue}/${state}/${page}`;
export const jobPath = (queue: string, jobId: string): string => `#/jobs/${queue}/${encodeURIComponent(jobId)}`;

const isState = (value: string | undefined): value is JobListState => JOB_LIST_STATES.includes(value as JobListState);

/**
 * For operators: one queue's counts per state, a page of one state's jobs (paged on the
 * server), pause/resume, and what operators did lately. Reloads itself after the queue's
 * events, so an action anyone takes shows here without a reload.
 */
export function queueView(live: LiveSession, queue: string, stateParam: string | undefined, pageParam: string | undefined) {
  const state: JobListState = isState(stateParam) ? stateParam : 'waiting';
  const page = Math.max(1, Number.parseInt(pageParam ?? '1', 10) || 1);
  const header = h('div', { class: 'queue-header' });
  const tabs = h('nav', { class: 'tabs', 'data-testid': 'state-tabs' });
  const table = h('div', { 'data-testid': 'job-list' });
  const activity = h('ul', { class: 'activity', 'data-testid': 'queue-activity' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'queue-error' });
  let summary: QueueSummary | undefined;

  const pauseButton = h('button', { 'data-testid': 'queue-pause-toggle', onclick: () => void toggle() }, 'Pause queue');
  const toggle = async () => {
    pauseButton.disabled = true;
    try {
      summary = await live.api.setPaused(queue, !summary?.paused);
      error.textContent = '';
    } catch (e) {
      error.textContent = (e as Error).message;
    }
    renderHeader();
  };
  const renderHeader = () => {
    const paused = summary?.paused ?? false;
    pauseButton.textContent = paused ? 'Resume queue' : 'Pause queue';
    pauseButton.disabled = summary === undefined;
    replaceChildren(header, h('h2', {}, `Queue ${queue} `,
      h('span', { class: `badge ${paused ? 'status-blocked' : 'status-done'}`, 'data-testid': 'queue-paused', 'data-paused': String(paused) }, paused ? 'paused' : 'running')),
    pauseButton);
    replaceChildren(tabs, ...JOB_LIST_STATES.map((s) =>
      h('a', { href: queuePath(queue, s), class: s === state ? 'tab selected' : 'tab', 'data-testid': 'state-tab', 'data-state': s },
        `${s} `, h('span', { class: 'count', 'data-testid': 'state-count' }, String(summary?.counts[s] ?? '…')))));
  };
  const renderActivity = () => {
    const actions = live.jobs.actions(queue);
    replaceChildren(activity, ...actions.map((a) =>
      h('li', { 'data-testid': 'queue-action', 'data-action': a.action }, h('time', { datetime: a.at }, ago(a.at)), ' ', describeAction(a))),
    actions.length === 0 ? h('li', { class: 'muted' }, 'Actions by operators appear here as they happen.') : null);
  };
  const load = async () => {
    try {
      const [s, jobs] = await Promise.all([live.api.getQueue(queue), live.api.listJobs(queue, state, (page - 1) * PAGE_SIZE, PAGE_SIZE)]);
      summary = s;
      error.textContent = '';
      renderHeader();
      replaceChildren(table, jobTable(queue, jobs), pager(queue, jobs, page));
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  };

  const offs = [
    refreshOn(live, queueStream(queue), (event) => event.type !== 'queue.overview', load),
    live.jobs.listen(renderActivity),
  ];
  renderHeader();
  renderActivity();
  void load();
  const element = h('section', { class: 'panel queue-view', 'data-testid': 'queue-view', 'data-state': state },
    header, error, tabs, table, h('h3', {}, 'Recent actions'), activity);
  return { element, dispose: () => offs.forEach((off) => off()) };
}

function jobTable(queue: string, page: JobPage): HTMLElement {
  if (page.jobs.length === 0) return h('p', { class: 'muted', 'data-testid': 'no-jobs' }, `No ${page.state} jobs.`);
  return h('table', { class: 'jobs-table' },
    h('thead', {}, h('tr', {}, ...['Job', 'Name', 'Progress', 'Attempts', 'Added', 'Finished', 'Task', 'Reason'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...page.jobs.map((job) => jobRow(queue, job))));
}

function jobRow(queue: string, job: JobSummary): HTMLElement {
  return h('tr', { 'data-testid': 'job-list-row', 'data-job-id': job.id },
    h('td', {}, h('a', { href: jobPath(queue, job.id), 'data-testid': 'job-link' }, job.id.length > 12 ? `${job.id.slice(0, 8)}…` : job.id)),
    h('td', {}, job.name),
    h('td', {}, progressText(job.progress)),
    h('td', {}, String(job.attemptsMade)),
    h('td', {}, when(job.createdAt)),
    h('td', {}, job.delayedUntil ? `runs ${new Date(job.delayedUntil).toLocaleTimeString()}` : when(job.finishedAt)),
    h('td', {}, job.taskId ? h('a', { href: `#/tasks/${job.taskId}` }, 'task') : '—'),
    h('td', { class: 'reason' }, job.failedReason ?? ''));
}

function pager(queue: string, page: JobPage, number: number): HTMLElement {
  const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
  const first = page.total === 0 ? 0 : page.offset + 1;
  return h('div', { class: 'pager row', 'data-testid': 'pager' },
    number > 1 ? h('a', { href: queuePath(queue, page.state, number - 1), 'data-testid': 'prev-page' }, '← previous') : null,
    h('span', { class: 'muted', 'data-testid': 'page-info' }, `${first}–${page.offset + page.jobs.length} of ${page.total.toLocaleString('en')} · page ${number} of ${pages}`),
    number < pages ? h('a', { href: queuePath(queue, page.state, number + 1), 'data-testid': 'next-page' }, 'next →') : null);
}
