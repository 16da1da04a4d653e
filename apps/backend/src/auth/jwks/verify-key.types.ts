import type { KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../../config/app-config.schema';

/** One public key of a JWKS, ready for a synchronous verify. */
export interface VerifyKey {
  kid: string | undefined;
  /** Parsed once, when the JWKS is loaded. */
  key: KeyObject;
  /** The algorithms this key may verify: the allow-list narrowed to its type (and its `alg`). */
  algorithms: JwtAlgorithm[];
}

/**
 * - `starting`: no JWKS loaded yet (tokens are refused with `auth_unavailable`);
 * - `ok`: the last fetch succeeded;
 * - `stale`: the last fetch failed; the keys of the last good one are used.
 */
export type JwksState = 'starting' | 'ok' | 'stale';

export interface JwksStatus {
  state: JwksState;
  keyCount: number;
  /** ISO time of the last successful fetch, or null. */
  lastSuccessAt: string | null;
  /** Why the last fetch failed, while it is the latest news; null once one succeeds. */
  lastError: string | null;
}
