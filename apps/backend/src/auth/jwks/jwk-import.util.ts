import { KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import type { JwtAlgorithm } from '../../config/app-config.schema';
import type { VerifyKey } from './verify-key.types';

/** RSA moduli below this are refused (NIST's floor; providers use 2048 or more). */
const MIN_RSA_BITS = 2048;
/** More keys than this in one JWKS is not a real provider's set. */
const MAX_KEYS = 100;

const RSA_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Readonly<Record<string, JwtAlgorithm>> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
};

export interface ImportedJwks {
  keys: VerifyKey[];
  /** One line per key left out, and why (logged; never fatal on its own). */
  skipped: string[];
}

/**
 * What a key of this type may verify: RSA keys only RS*, PS*; EC keys only the ES* of their
 * curve; nothing else (an `oct` key in a JWKS would make a public document an HMAC secret).
 */
function algorithmsFor(jwk: JWK, allowed: readonly JwtAlgorithm[]): JwtAlgorithm[] {
  const family =
    jwk.kty === 'RSA'
      ? RSA_ALGORITHMS
      : jwk.kty === 'EC' && jwk.crv && EC_ALGORITHMS[jwk.crv]
        ? [EC_ALGORITHMS[jwk.crv]!]
        : [];
  const usable = family.filter((alg) => allowed.includes(alg));
  // A key that names its algorithm is used for that one only.
  return jwk.alg === undefined ? usable : usable.filter((alg) => alg === jwk.alg);
}

async function importOne(jwk: JWK, allowed: readonly JwtAlgorithm[]): Promise<VerifyKey | string> {
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  const name = `key ${kid ?? '(no kid)'} (${String(jwk.kty)})`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return `${name}: use is ${String(jwk.use)}, not sig`;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return `${name}: key_ops has no verify`;
  if ('d' in jwk) return `${name}: a private key has no place in a JWKS`;
  const algorithms = algorithmsFor(jwk, allowed);
  if (algorithms.length === 0) return `${name}: no allowed algorithm fits it (JWT_ALGORITHMS)`;
  try {
    const imported = await importJWK(jwk, algorithms[0]);
    if (imported instanceof Uint8Array) return `${name}: not a public key`;
    const key = KeyObject.from(imported);
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined && bits < MIN_RSA_BITS) return `${name}: ${bits}-bit RSA is too short`;
    return { kid, key, algorithms };
  } catch (error) {
    return `${name}: ${(error as Error).message}`;
  }
}

/**
 * Turns a fetched JWKS document into keys, parsed by `jose` once per fetch. Keys that are
 * not for signatures, not public, or fit no allowed algorithm are left out and named.
 */
export async function importJwks(document: unknown, allowed: readonly JwtAlgorithm[]): Promise<ImportedJwks> {
  const list = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('the document has no "keys" array');
  if (list.length > MAX_KEYS)
    throw new Error(`the document has ${list.length} keys; at most ${MAX_KEYS} are read`);
  const keys: VerifyKey[] = [];
  const skipped: string[] = [];
  for (const entry of list) {
    const result =
      typeof entry === 'object' && entry !== null
        ? await importOne(entry as JWK, allowed)
        : 'an entry that is not an object';
    if (typeof result === 'string') skipped.push(result);
    else keys.push(result);
  }
  return { keys, skipped };
}
