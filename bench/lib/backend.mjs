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

/** `dist/<path>` of the backend, e.g. `events/event-store.js`. */
export function dist(path) {
  const file = fileURLToPath(new URL(`../../apps/backend/dist/${path}`, import.meta.url));
  if (!existsSync(file))
    throw new Error(`${file} is missing: run \`pnpm -s build\` (pnpm bench does it for you)`);
  return backendRequire(file);
}
