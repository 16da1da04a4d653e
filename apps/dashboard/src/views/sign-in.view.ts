import { ApiClient } from '../api/api.client';
import { h, replaceChildren } from '../dom.util';
import { sessionFromToken, type Role, type Session } from '../session/session';

/** Sign-in with a pasted token, and in development a button that mints one. */
export function signInView(onSignIn: (session: Session) => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'sign-in-error' });
  const token = h('textarea', { rows: 4, placeholder: 'Paste a JWT (pnpm token --sub alice --role admin)', 'data-testid': 'token-input' });
  const submit = (event: Event) => {
    event.preventDefault();
    try {
      onSignIn(sessionFromToken(token.value));
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  };
  const dev = h('div', { class: 'dev-mint', hidden: true });
  void ApiClient.devTokensAvailable().then((available) => available && fillDevSection(dev, error, onSignIn));
  return h('main', { class: 'sign-in' },
    h('h1', {}, 'taskdash'),
    h('p', { class: 'muted' }, 'Tasks, jobs and agent runs, live.'),
    h('form', { onsubmit: submit },
      h('label', {}, 'Access token', token),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'sign-in' }, 'Sign in')),
    dev,
    error);
}

function fillDevSection(dev: HTMLElement, error: HTMLElement, onSignIn: (session: Session) => void): void {
  const sub = h('input', { value: 'alice', 'aria-label': 'User id', 'data-testid': 'dev-sub' });
  const role = h('select', { 'aria-label': 'Role', 'data-testid': 'dev-role' },
    ...(['admin', 'operator', 'user'] as const).map((r) => h('option', { value: r }, r)));
  const mint = async (event: Event) => {
    event.preventDefault();
    try {
      const token = await ApiClient.mintDevToken(sub.value.trim(), role.value as Role);
      onSignIn(sessionFromToken(token, true));
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  };
  replaceChildren(dev,
    h('h2', {}, 'Development'),
    h('form', { class: 'row', onsubmit: (e) => void mint(e) },
      sub, role, h('button', { type: 'submit', 'data-testid': 'dev-mint' }, 'Mint a dev token')),
    h('p', { class: 'muted' }, 'Offered because the backend does not run with NODE_ENV=production.'));
  dev.hidden = false;
}
