import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config/app-config';
import type { Role } from './principal.types';

export interface SignTokenOptions {
  sub: string;
  role?: Role;
  /** Lifetime in seconds. @default 3600 */
  ttlSec?: number;
}

/** Signs a token with the configured key: for `pnpm token`, the demo and tests. */
export function signToken(config: AppConfig['jwt'], options: SignTokenOptions): string {
  if (!config.signKey) throw new Error('no signing key: set JWT_SECRET, or JWT_PRIVATE_KEY for RS*, ES*');
  const algorithm = config.algorithms[0];
  return jwt.sign({ role: options.role ?? 'user' }, config.signKey, {
    algorithm,
    subject: options.sub,
    expiresIn: options.ttlSec ?? 3600,
    jwtid: randomUUID(),
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  });
}
