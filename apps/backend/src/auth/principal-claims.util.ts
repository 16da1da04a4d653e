import { ErrorCode, isUserId } from '@taskdash/contract';
import type { JwtPayload } from 'jsonwebtoken';
import type { ClaimsConfig } from '../config/app-config';
import { AuthException } from './auth.exception';
import { ROLES, type Principal, type Role } from './principal.types';

const invalid = (message: string) => new AuthException(ErrorCode.TokenInvalid, message);

/**
 * A claim by name, or by dotted path when no claim has the whole name: a namespaced claim
 * (`https://example.com/roles`, dots and all) is found as it is, `realm_access.roles` as a path.
 */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * No claim: a plain user. One name: it must mean one of our roles (a typo must not pass for
 * `user` unnoticed). A list, as providers send it: the highest role among the names that mean
 * one; the others (`offline_access`, roles of other apps) are ignored.
 */
export function roleOf(value: unknown, roleMap: ClaimsConfig['roleMap']): Role {
  if (value === undefined) return 'user';
  const meaning = (name: string): Role | undefined =>
    roleMap
      ? Object.hasOwn(roleMap, name)
        ? roleMap[name]
        : undefined
      : ROLES.find((role) => role === name);
  if (typeof value === 'string') {
    const role = meaning(value);
    if (!role) throw invalid('token has an unknown role');
    return role;
  }
  if (Array.isArray(value) && value.every((name) => typeof name === 'string')) {
    const ranks = value.map((name) => ROLES.indexOf(meaning(name) ?? 'user'));
    return ROLES[Math.max(0, ...ranks)]!;
  }
  throw invalid('token has an unknown role');
}

/** The caller a verified token names, by the configured claims. */
export function toPrincipal(claims: JwtPayload, config: ClaimsConfig): Principal {
  // jsonwebtoken accepts tokens without `exp`; a connection must not live forever.
  if (typeof claims.exp !== 'number') throw invalid('token has no exp claim');
  const userId = claimAt(claims, config.userId);
  if (typeof userId !== 'string' || !isUserId(userId))
    throw invalid(`token has no valid ${config.userId} claim`);
  return {
    userId,
    role: roleOf(claimAt(claims, config.role), config.roleMap),
    jti: typeof claims.jti === 'string' ? claims.jti : undefined,
    expiresAt: claims.exp * 1000,
    issuedAt: typeof claims.iat === 'number' ? claims.iat * 1000 : 0,
  };
}
