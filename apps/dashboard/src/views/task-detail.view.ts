import { TASK_STATUSES, type TaskSnapshot, type TaskStatus } from '@taskdash/contract';
import { ApiException } from '../api/api.client';
import { ago, append, h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';
import { progressBar } from './progress.view';
import { taskExecutionsView } from './task-executions.view';
import { foldTimeline } from './timeline-fold';
import { timelineRow } from './timeline.view';

/** One task: live status, members, jobs with progress, agent runs, and its event timeline. */
export function taskDetailView(live: LiveSession, taskId: string): { element: HTMLElement; dispose: () => void } {
  const header = h('div', { class: 'task-header' });
  const members = h('div', { class: 'members', 'data-testid': 'members' });
  const jobs = h('div', { class: 'jobs', 'data-testid': 'task-jobs' });
  const timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
  const error = h('p', { class: 'error', role: 'alert' });
  const body = h('div', { hidden: true });
  // Made once: re-rendering must not replace a control the user is using.
  const select = h('select', { 'aria-label': 'Status', 'data-testid': 'status-select', onchange: () => act(() => live.api.changeStatus(taskId, select.value as TaskStatus)) },
    ...TASK_STATUSES.map((s) => h('option', { value: s }, s.replace('_', ' '))));
  const act = (work: () => Promise<unknown>) => void work().then(() => (error.textContent = ''), (e: Error) => (error.textContent = e.message));

  const render = () => {
    const task = live.board.get(taskId);
    body.hidden = !task;
    if (!task) {
      replaceChildren(header, h('p', { class: 'muted', 'data-testid': 'task-missing' }, 'This task does not exist or you may not see it.'));
      return;
    }
    if (document.activeElement !== select) select.value = task.status;
    replaceChildren(header, ...headerParts(task, select));
    replaceChildren(members, ...task.members.map((m) =>
      h('span', { class: 'chip' }, m, h('button', { class: 'link', title: `Remove ${m}`, onclick: () => act(() => live.api.removeMember(taskId, m)) }, '×'))),
      task.members.length === 0 ? h('span', { class: 'muted' }, 'no members besides the owner') : null);
    const taskJobs = live.jobs.list((job) => job.taskId === taskId);
    replaceChildren(jobs, ...taskJobs.map((job) =>
      h('div', { class: 'job-row' }, progressBar(job),
        job.executionId ? h('a', { href: `#/executions/${job.executionId}`, 'data-testid': 'execution-link' }, 'output →') : null)),
      taskJobs.length === 0 ? h('p', { class: 'muted' }, 'No jobs seen since this page opened.') : null);
    const rows = foldTimeline(live.board.timeline(taskId)).reverse();
    replaceChildren(timeline, ...rows.map((row) => timelineRow(row, live.operator)),
      rows.length === 0 ? h('li', { class: 'muted' }, 'Events appear here as they happen.') : null);
  };

  const runs = taskExecutionsView(live, taskId);
  const offs = [live.board.listen(render), live.jobs.listen(render), runs.dispose];
  const clock = setInterval(render, 5000);
  render();
  if (!live.board.get(taskId)) {
    void live.api.getTask(taskId).then((task) => live.board.put(task), (e: unknown) => {
      if (!(e instanceof ApiException && e.status === 404)) error.textContent = String(e);
    });
  }
  append(body,
    h('h3', {}, 'Members'), members, memberForm(live, taskId, act),
    h('h3', {}, 'Jobs'), jobs, runForm(live, taskId, act),
    h('h3', {}, 'Agent runs'), runs.element,
    h('h3', {}, 'Timeline'), timeline);
  const element = h('section', { class: 'panel task-detail', 'data-testid': 'task-detail' }, header, error, body);
  return { element, dispose: () => { offs.forEach((off) => off()); clearInterval(clock); } };
}

function headerParts(task: TaskSnapshot, select: HTMLSelectElement): HTMLElement[] {
  return [
    h('h2', { 'data-testid': 'task-title' }, task.title),
    h('p', {}, h('span', { class: `badge status-${task.status}`, 'data-testid': 'detail-status' }, task.status.replace('_', ' ')), ' ', select,
      h('span', { class: 'muted' }, ` owner ${task.ownerId} · updated ${ago(task.updatedAt)}`)),
    task.description ? h('p', { class: 'description' }, task.description) : h('span'),
  ];
}

function memberForm(live: LiveSession, taskId: string, act: (work: () => Promise<unknown>) => void): HTMLElement {
  const user = h('input', { placeholder: 'user id', required: true, 'data-testid': 'member-input' });
  return h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); act(async () => { await live.api.addMember(taskId, user.value.trim()); user.value = ''; }); } },
    user, h('button', { type: 'submit' }, 'Add member'));
}

function runForm(live: LiveSession, taskId: string, act: (work: () => Promise<unknown>) => void): HTMLElement {
  const profile = h('input', { value: 'demo', 'aria-label': 'Profile', size: 10, 'data-testid': 'run-profile' });
  const prompt = h('input', { placeholder: 'prompt', 'aria-label': 'Prompt', 'data-testid': 'run-prompt' });
  const start = async () => {
    const execution = await live.api.startExecution(taskId, profile.value.trim(), prompt.value);
    location.hash = `#/executions/${execution.id}`;
  };
  return h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); act(start); } },
    h('span', { class: 'muted' }, 'Run an agent:'), profile, prompt, h('button', { type: 'submit', class: 'primary', 'data-testid': 'run' }, 'Run'));
}
