export type Role = 'user' | 'operator' | 'admin';

/** Who is signed in, read from the token's claims (the server verifies it; this is display only). */
export interface Session {
  token: string;
  userId: string;
  role: Role;
  /** Expiry in ms since the epoch. */
  expiresAt: number;
  /** Minted with the development button: a fresh one can be minted when this one expires. */
  minted: boolean;
}

const KEY = 'taskdash.session';

export class SessionException extends Error {}

/** Reads a JWT's claims without verifying it; throws SessionException when it is not a JWT. */
export function sessionFromToken(token: string, minted = false): Session {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  const part = trimmed.split('.')[1];
  if (!part) throw new SessionException('This is not a JWT (expected three dot-separated parts).');
  let claims: { sub?: unknown; role?: unknown; exp?: unknown };
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    claims = JSON.parse(json) as typeof claims;
  } catch {
    throw new SessionException('The token payload is not readable JSON.');
  }
  if (typeof claims.sub !== 'string') throw new SessionException('The token has no subject (sub).');
  const role: Role = claims.role === 'admin' || claims.role === 'operator' ? claims.role : 'user';
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
  if (expiresAt <= Date.now()) throw new SessionException('The token has expired.');
  return { token: trimmed, userId: claims.sub, role, expiresAt, minted };
}

export const isOperator = (session: Session): boolean => session.role === 'operator' || session.role === 'admin';

/** The session of this browser tab, kept across reloads of the tab only. */
export const sessionStore = {
  load(): Session | undefined {
    const saved = sessionStorage.getItem(KEY);
    if (!saved) return undefined;
    try {
      const { token, minted } = JSON.parse(saved) as { token: string; minted: boolean };
      return sessionFromToken(token, minted);
    } catch {
      sessionStorage.removeItem(KEY);
      return undefined;
    }
  },
  save(session: Session): void {
    sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, minted: session.minted }));
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};
