import type { TaskSnapshot } from '@taskdash/contract';
import { h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';

/** The tasks this user may see, live, with a form to create one. */
export function taskListView(live: LiveSession): HTMLElement {
  const list = h('ul', { class: 'task-list', 'data-testid': 'task-list' });
  const render = () => {
    const selected = location.hash.split('/')[2];
    const tasks = live.board.list();
    replaceChildren(list, ...tasks.map((task) => taskRow(live, task, task.id === selected)),
      tasks.length === 0 ? h('li', { class: 'muted empty' }, 'No tasks you can see yet.') : null);
  };
  live.board.listen(render);
  live.jobs.listen(render);
  window.addEventListener('hashchange', render);
  render();
  return h('aside', { class: 'sidebar' }, h('h2', {}, 'Tasks'), createForm(live), list);
}

function taskRow(live: LiveSession, task: TaskSnapshot, selected: boolean): HTMLElement {
  const active = live.jobs.list((job) => job.taskId === task.id && job.state === 'active')[0];
  return h('li', { class: selected ? 'selected' : undefined, 'data-testid': 'task-row', 'data-task-id': task.id },
    h('a', { href: `#/tasks/${task.id}` },
      h('span', { class: 'title' }, task.title),
      h('span', { class: `badge status-${task.status}`, 'data-testid': 'task-status' }, task.status.replace('_', ' '))),
    h('div', { class: 'muted small' },
      `${task.ownerId}${task.members.length ? ` + ${task.members.join(', ')}` : ''}`,
      active ? h('span', { class: 'mini-bar' }, h('span', { style: `width: ${active.percent ?? 0}%` })) : null));
}

function createForm(live: LiveSession): HTMLElement {
  const title = h('input', { placeholder: 'New task title', required: true, maxlength: 200, 'data-testid': 'new-task-title' });
  const members = h('input', { placeholder: 'members (comma-separated)', 'data-testid': 'new-task-members' });
  const error = h('p', { class: 'error small' });
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const ids = members.value.split(',').map((m) => m.trim()).filter(Boolean);
      const task = await live.api.createTask({ title: title.value, members: ids });
      title.value = members.value = error.textContent = '';
      location.hash = `#/tasks/${task.id}`;
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  };
  return h('form', { class: 'create-task', onsubmit: (e) => void submit(e) },
    title, members, h('button', { type: 'submit' }, 'Create'), error);
}
