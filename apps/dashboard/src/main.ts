import { replaceChildren } from './dom.util';
import { LiveSession } from './live/live-session';
import { sessionStore, type Session } from './session/session';
import './styles.css';
import { shellView } from './views/shell.view';
import { signInView } from './views/sign-in.view';

const root = document.getElementById('app')!;
let live: LiveSession | undefined;

/** Starts over from a clean page, so no listener of the old session lives on. */
function signOut(): void {
  live?.stop();
  sessionStore.clear();
  location.replace(location.pathname);
}

function signIn(session: Session): void {
  sessionStore.save(session);
  live = new LiveSession(session, (renewed) => sessionStore.save(renewed));
  replaceChildren(root, shellView(live, signOut));
  live.start().catch((error: unknown) => console.error('could not load the dashboard', error));
}

const saved = sessionStore.load();
if (saved) signIn(saved);
else replaceChildren(root, signInView(signIn));
