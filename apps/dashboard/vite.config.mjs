// The dashboard is built to dist/, which the backend serves at `/`. The workspace packages
// are compiled from their TypeScript sources (their dist/ is CommonJS for Node).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const source = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  base: './',
  resolve: {
    alias: {
      '@taskdash/client': source('../../packages/client/src/index.ts'),
      '@taskdash/contract': source('../../packages/contract/src/index.ts'),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      // zod's sources carry comments Rollup cannot place; harmless, and not ours to fix.
      onwarn: (warning, warn) => warning.code !== 'INVALID_ANNOTATION' && warn(warning),
    },
  },
  server: {
    // `pnpm --filter @taskdash/dashboard dev`: the page on :5173, the API and sockets on :3000.
    proxy: {
      '^/(tasks|executions|alerts|queues|users|dev|health|socket\\.io)': { target: 'http://localhost:3000', ws: true },
    },
  },
});
