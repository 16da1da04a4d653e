import { h, replaceChildren } from '../dom.util';
import { EXECUTIONS_QUEUE, type LiveSession } from '../live/live-session';
import { TerminalView } from '../terminal/terminal.view';
import { connectionView } from './connection.view';
import { jobView } from './job.view';
import { opsView } from './ops.view';
import { queueView } from './queue.view';
import { taskDetailView } from './task-detail.view';
import { taskListView } from './task-list.view';

interface Mounted {
  element: HTMLElement;
  dispose: () => void;
}

/**
 * The signed-in page: header with the connection indicator, the task list, and the view the
 * hash names (`#/tasks/<id>`, `#/executions/<id>`, `#/ops`, and for operators
 * `#/queues/<queue>/<state>/<page>` and `#/jobs/<queue>/<id>`).
 */
export function shellView(live: LiveSession, onSignOut: () => void): HTMLElement {
  const content = h('div', { class: 'content' });
  let current: Mounted | undefined;
  const route = () => {
    current?.dispose();
    const [, kind, id, ...rest] = location.hash.replace(/^#/, '').split('/').map((part) => decodeURIComponent(part));
    current = mount(live, kind, id, rest);
    replaceChildren(content, current.element);
  };
  window.addEventListener('hashchange', route);
  route();
  return h('div', { class: 'shell' },
    h('header', {},
      h('a', { class: 'brand', href: '#/' }, 'taskdash'),
      h('nav', {}, h('a', { href: '#/' }, 'Tasks'), live.operator ? h('a', { href: '#/ops', 'data-testid': 'nav-ops' }, 'Operations') : null,
        live.operator ? h('a', { href: `#/queues/${EXECUTIONS_QUEUE}`, 'data-testid': 'nav-queues' }, 'Queues') : null),
      connectionView(live, onSignOut),
      h('span', { class: 'user', 'data-testid': 'user' }, live.userId),
      h('button', { class: 'link', onclick: onSignOut }, 'Sign out')),
    h('div', { class: 'body' }, taskListView(live), content));
}

function mount(live: LiveSession, kind: string | undefined, id: string | undefined, rest: string[]): Mounted {
  if (kind === 'tasks' && id) return taskDetailView(live, id);
  if (kind === 'executions' && id) {
    const terminal = new TerminalView(live, id);
    void terminal.mount();
    return { element: terminal.element, dispose: () => terminal.dispose() };
  }
  if (kind === 'ops' && live.operator) return opsView(live);
  if (kind === 'queues' && live.operator) return queueView(live, id ?? EXECUTIONS_QUEUE, rest[0], rest[1]);
  if (kind === 'jobs' && live.operator && id && rest[0]) return jobView(live, id, rest[0]);
  // The API refuses them the queue routes anyway; the page does not pretend otherwise.
  const refused = (kind === 'queues' || kind === 'jobs') && !live.operator;
  return {
    element: h('section', { class: 'panel welcome' },
      h('h2', {}, 'Welcome'),
      refused ? h('p', { class: 'error', 'data-testid': 'queues-refused' }, 'Queue pages are for operators and admins.') : null,
      h('p', {}, 'Pick a task on the left, or create one. Everything here updates live.'),
      live.operator ? h('p', {}, 'Operators: ', h('a', { href: '#/ops' }, 'system health and alerts'), ', ', h('a', { href: `#/queues/${EXECUTIONS_QUEUE}` }, 'queues and jobs'), '.') : null),
    dispose: () => undefined,
  };
}
