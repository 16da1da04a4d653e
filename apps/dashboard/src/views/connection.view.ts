import type { ConnectionState } from '@taskdash/client';
import { h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  resumed: 'resumed',
  disconnected: 'disconnected',
  failed: 'connection failed',
};

/** The connection indicator: state, why it was lost, and "reload needed" with a button. */
export function connectionView(live: LiveSession, onSignOut: () => void): HTMLElement {
  const element = h('div', { class: 'connection', 'data-testid': 'connection' });
  const render = () => {
    const { state, reason } = live.connection;
    const reloads = live.connection.reloadNeeded;
    replaceChildren(element,
      h('span', { class: `dot state-${state}`, 'data-testid': 'connection-state', 'data-state': state, title: reason ?? '' }, LABELS[state]),
      reason && state !== 'connected' && state !== 'resumed' ? h('span', { class: 'muted' }, ` ${reason}`) : null,
      reloads.length > 0
        ? h('span', { class: 'reload-needed', 'data-testid': 'reload-needed', title: reloads.map((r) => `${r.stream}: ${r.reason}`).join('\n') },
            'reload needed ',
            h('button', { onclick: () => void live.reload() }, 'Reload'))
        : null,
      state === 'failed' ? h('button', { onclick: onSignOut }, 'Sign in again') : null);
  };
  live.connection.listen(render);
  render();
  return element;
}
