export const ROLES = ['user', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, from a verified JWT. */
export interface Principal {
  userId: string;
  role: Role;
  /** Token id, when the token has one (needed to revoke a single token). */
  jti: string | undefined;
  /** Expiry, in milliseconds since the epoch. */
  expiresAt: number;
  /** `iat`, in milliseconds since the epoch (0 when the token has none). */
  issuedAt: number;
}

export const isAdmin = (p: Principal): boolean => p.role === 'admin';
export const isOperator = (p: Principal): boolean => p.role === 'admin' || p.role === 'operator';
