import { h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';
import { TerminalView } from '../terminal/terminal.view';
import { connectionView } from './connection.view';
import { opsView } from './ops.view';
import { taskDetailView } from './task-detail.view';
import { taskListView } from './task-list.view';

interface Mounted {
  element: HTMLElement;
  dispose: () => void;
}

/**
 * The signed-in page: header with the connection indicator, the task list, and the view the
 * hash names (`#/tasks/<id>`, `#/executions/<id>`, `#/ops`).
 */
export function shellView(live: LiveSession, onSignOut: () => void): HTMLElement {
  const content = h('div', { class: 'content' });
  let current: Mounted | undefined;
  const route = () => {
    current?.dispose();
    const [, kind, id] = location.hash.replace(/^#/, '').split('/');
    current = mount(live, kind, id);
    replaceChildren(content, current.element);
  };
  window.addEventListener('hashchange', route);
  route();
  return h('div', { class: 'shell' },
    h('header', {},
      h('a', { class: 'brand', href: '#/' }, 'taskdash'),
      h('nav', {}, h('a', { href: '#/' }, 'Tasks'), live.operator ? h('a', { href: '#/ops', 'data-testid': 'nav-ops' }, 'Operations') : null),
      connectionView(live, onSignOut),
      h('span', { class: 'user', 'data-testid': 'user' }, live.userId),
      h('button', { class: 'link', onclick: onSignOut }, 'Sign out')),
    h('div', { class: 'body' }, taskListView(live), content));
}

function mount(live: LiveSession, kind: string | undefined, id: string | undefined): Mounted {
  if (kind === 'tasks' && id) return taskDetailView(live, id);
  if (kind === 'executions' && id) {
    const terminal = new TerminalView(live, id);
    void terminal.mount();
    return { element: terminal.element, dispose: () => terminal.dispose() };
  }
  if (kind === 'ops' && live.operator) return opsView(live);
  return {
    element: h('section', { class: 'panel welcome' },
      h('h2', {}, 'Welcome'),
      h('p', {}, 'Pick a task on the left, or create one. Everything here updates live.'),
      live.operator ? h('p', {}, 'Operators: ', h('a', { href: '#/ops' }, 'system health, alerts and queues'), '.') : null),
    dispose: () => undefined,
  };
}
