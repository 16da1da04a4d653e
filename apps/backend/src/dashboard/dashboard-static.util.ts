import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** Where `pnpm build` puts the dashboard: apps/dashboard/dist (from src/ and dist/ alike). */
export const DASHBOARD_DIST = join(__dirname, '..', '..', '..', 'dashboard', 'dist');

/**
 * Serves the built dashboard at `/` when it was built; returns whether it did. Files only:
 * every API route stays the controllers', since the build has nothing but index.html and
 * assets/. index.html is never cached, so a new build shows on the next reload.
 */
export function serveDashboard(app: NestExpressApplication, dir = DASHBOARD_DIST): boolean {
  if (!existsSync(join(dir, 'index.html'))) return false;
  app.useStaticAssets(dir, {
    index: 'index.html',
    setHeaders: (response: { setHeader(name: string, value: string): void }, path: string) => {
      const cache = path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable';
      response.setHeader('cache-control', cache);
    },
  });
  return true;
}
