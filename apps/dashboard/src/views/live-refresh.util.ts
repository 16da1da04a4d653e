import type { EventEnvelope } from '@taskdash/contract';
import type { LiveSession } from '../live/live-session';

/**
 * Calls `refresh` after events on `stream` that `matters` accepts: at most once per
 * `intervalMs` and never two at once, so a busy queue costs a viewer a bounded number of
 * requests, and the last event is always followed by a refresh. Returns the function that
 * stops it.
 */
export function refreshOn(
  live: LiveSession,
  stream: string,
  matters: (event: EventEnvelope) => boolean,
  refresh: () => Promise<void>,
  intervalMs = 400,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  function schedule(): void {
    timer ??= setTimeout(() => void run(), intervalMs);
  }
  async function run(): Promise<void> {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await refresh();
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }
  const off = live.client.onStream(stream, (event) => {
    if (matters(event)) schedule();
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
