/** A JWKS is a few kB; a larger answer is not one (and must not fill the memory). */
const MAX_BYTES = 512 * 1024;

/** GETs the JWKS document; throws a short, loggable reason on anything but a JSON 200. */
export async function fetchJwks(url: string, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: 'application/json' }, redirect: 'error' });
  } catch (error) {
    throw new Error(signal.aborted ? `no answer within ${timeoutMs} ms` : describe(error), { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  const text = await readCapped(response);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('the answer is not JSON');
  }
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BYTES) {
      await reader.cancel();
      throw new Error(`the answer is larger than ${MAX_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** fetch's errors say "fetch failed"; the reason is in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
