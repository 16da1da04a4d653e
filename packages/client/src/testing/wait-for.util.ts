/**
 * Polls `probe` until it returns a truthy value and resolves with it; rejects after
 * `timeoutMs` with `message`. Tests wait for effects this way instead of sleeping.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false,
  message = 'condition',
  timeoutMs = 3_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
