/**
 * Browsers always send `Origin` on a WebSocket upgrade, so a missing header means a
 * non-browser client, which cross-site WebSocket hijacking cannot involve; it is allowed.
 * A page served by this backend itself (the dashboard at `/`) is same-origin: its Origin
 * names the host it asked for, which a cross-site page cannot make its browser send.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[], host?: string): boolean {
  if (origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin) || isSameOrigin(origin, host);
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}
