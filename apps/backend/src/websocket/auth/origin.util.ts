/**
 * Browsers always send `Origin` on a WebSocket upgrade, so a missing header means a
 * non-browser client, which cross-site WebSocket hijacking cannot involve; it is allowed.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
