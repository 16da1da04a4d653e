// The compiled backend and its dependencies, loaded from plain Node (no ts-node at bench
// time): `pnpm bench` builds `apps/backend/dist` first (prepare:runtime).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BACKEND_MAIN = fileURLToPath(new URL('../../apps/backend/dist/main.js', import.meta.url));

/** Resolves like code inside apps/backend does: the backend's dist and its dependencies. */
export const backendRequire = createRequire(new URL('../../apps/backend/package.json', import.meta.url));
/** Resolves root devDependencies (socket.io-client). */
export const rootRequire = createRequire(new URL('../../package.json', import.meta.url));

/**
 * The compiled backend's one entry point for harnesses (`@taskdash/backend/testing`: the app
 * factory and runtime, the store, the publisher, the queue's parts), never its internal paths.
 */
export function backend() {
  if (!existsSync(fileURLToPath(new URL('../../apps/backend/dist/testing.js', import.meta.url))))
    throw new Error('apps/backend/dist is missing: run `pnpm -s build` (pnpm bench does it for you)');
  return backendRequire('@taskdash/backend/testing');
}
