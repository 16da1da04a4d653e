import { taskStream, type ExecutionSnapshot } from '@taskdash/contract';
import { ago, h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';
import { refreshOn } from './live-refresh.util';

/** A task's agent runs (`GET /tasks/:id/executions`), reloaded when one of its jobs changes state. */
export function taskExecutionsView(live: LiveSession, taskId: string): { element: HTMLElement; dispose: () => void } {
  const list = h('ul', { class: 'executions', 'data-testid': 'task-executions' });
  const load = async () => {
    let executions: ExecutionSnapshot[];
    try {
      executions = await live.api.listExecutions(taskId);
    } catch {
      return; // the task view says when the task is gone
    }
    replaceChildren(list, ...executions.map((e) =>
      h('li', { 'data-testid': 'task-execution', 'data-execution-id': e.id },
        h('span', { class: `badge status-${e.status}` }, e.status), ' ',
        h('a', { href: `#/executions/${e.id}` }, `run ${e.id.slice(0, 8)}`),
        h('span', { class: 'muted' }, ` · ${e.command.slice(-1)[0]?.slice(0, 60) ?? ''} · started ${ago(e.createdAt)}`))),
    executions.length === 0 ? h('li', { class: 'muted' }, 'No agent runs yet.') : null);
  };
  const isRunEvent = (event: { type: string; payload: unknown }) =>
    event.type !== 'job.progress' && (event.payload as { executionId?: string }).executionId !== undefined;
  const off = refreshOn(live, taskStream(taskId), isRunEvent, load);
  void load();
  return { element: list, dispose: off };
}
