// Runs one benchmark module in its own process, so one benchmark's heap, JIT state and
// open handles never colour the next.
import { serveWorker } from './worker.mjs';

serveWorker({
  run: async ({ module }) => {
    const bench = await import(new URL(`../${module}`, import.meta.url).href);
    return bench.run();
  },
});
