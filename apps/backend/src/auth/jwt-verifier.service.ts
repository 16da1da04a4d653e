import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { AppConfig } from '../config/app-config';
import type { JwtAlgorithm } from '../config/app-config.schema';
import { AuthException } from './auth.exception';
import { verifyHmacJwt, type HmacJwtChecks } from './hmac-jwt.util';
import { JwksKeyStore } from './jwks/jwks-key-store.service';
import type { VerifyKey } from './jwks/verify-key.types';
import { toPrincipal } from './principal-claims.util';
import type { Principal } from './principal.types';

const invalid = (message: string) => new AuthException(ErrorCode.TokenInvalid, message);

/**
 * Verifies access tokens for both HTTP and Socket.IO: signature, algorithm allow-list,
 * a required `exp`, `iss`/`aud` when configured, a bounded clock tolerance, and a user id
 * claim that is a valid user id. Keys are a shared secret, one static public key, or an
 * identity provider's JWKS (by `kid`). HS/RS confusion cannot happen: the allow-list never
 * mixes HS* with the others (the config schema), a JWKS key may only verify the algorithms
 * of its own type, and every key is a typed KeyObject, which jsonwebtoken checks against
 * the algorithm.
 *
 * Not @nestjs/jwt: it wraps the same jsonwebtoken with an options merge per call, has no
 * JWKS, and takes a KeyObject only through a key-provider callback, while choosing the key
 * (and whether to go async for a fetch) has to happen here before jsonwebtoken is called.
 * jose parses the JWKS (jwks/jwk-import.util.ts); verifying stays on jsonwebtoken because
 * jose's `jwtVerify` is always asynchronous (WebCrypto), which the cached path avoids. A
 * shared secret is verified by `verifyHmacJwt`, the same checks for a fraction of the CPU
 * (it runs on every handshake of a reconnect storm).
 */
export class JwtVerifierService implements OnModuleInit, OnApplicationShutdown {
  /**
   * Parsed once: given a string, jsonwebtoken tries to parse it as a public key on every
   * call before falling back (about 1.3 ms per verify; 20-40 µs with a KeyObject).
   */
  private readonly key: KeyObject | undefined;
  /** The identity provider's keys, when JWT_JWKS_URL is set. */
  readonly jwks: JwksKeyStore | undefined;

  constructor(
    private readonly config: AppConfig['jwt'],
    jwks?: JwksKeyStore,
  ) {
    if (config.jwks) {
      this.jwks = jwks ?? new JwksKeyStore(config.jwks, config.algorithms);
      return;
    }
    const hs = config.algorithms.every((alg) => alg.startsWith('HS'));
    this.key = hs ? createSecretKey(Buffer.from(config.verifyKey)) : createPublicKey(config.verifyKey);
  }

  onModuleInit(): void {
    this.jwks?.start();
  }

  onApplicationShutdown(): void {
    this.jwks?.stop();
  }

  /**
   * Synchronous whenever the key is at hand: the secret or static key, or a JWKS key already
   * cached for the token's `kid` (no event-loop turn is added to a handshake). A promise only
   * when the JWKS must be fetched first: an unknown `kid`, or no keys loaded yet.
   */
  verify(token: unknown): Principal | Promise<Principal> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new AuthException(ErrorCode.TokenMissing, 'no token was presented');
    }
    if (token.length > 8192) throw invalid('token is too long');
    const jwks = this.jwks;
    if (!jwks) return this.check(token, this.key!, this.config.algorithms);
    const { kid, alg } = headerOf(token);
    const cached = jwks.find(kid);
    if (cached) return this.checkWith(token, cached, alg);
    if (kid === undefined && !jwks.unreachable) throw invalid('token names no key (kid)');
    return jwks.refreshForUnknownKid().then(() => {
      const fetched = jwks.find(kid);
      if (fetched) return this.checkWith(token, fetched, alg);
      // While the provider does not answer, a new kid may well be real: ask to retry.
      if (jwks.unreachable) {
        throw new AuthException(ErrorCode.AuthUnavailable, "the identity provider's keys could not be loaded; retry later");
      }
      throw invalid('token is signed by an unknown key');
    });
  }

  private checkWith(token: string, key: VerifyKey, alg: string): Principal {
    // An HS256 token naming an RSA key's kid, an RS256 one naming an EC key: refused here.
    if (!key.algorithms.includes(alg as JwtAlgorithm)) throw invalid('token algorithm is not allowed for its key');
    return this.check(token, key.key, key.algorithms);
  }

  private check(token: string, key: KeyObject, algorithms: JwtAlgorithm[]): Principal {
    // A shared secret (only ever with HS* algorithms): verified without jsonwebtoken's per-call work.
    if (key.type === 'secret') return toPrincipal(verifyHmacJwt(token, key, this.hmacChecks(algorithms)), this.config.claims);
    let claims: JwtPayload;
    try {
      const decoded = jwt.verify(token, key, {
        algorithms,
        clockTolerance: this.config.clockToleranceSec,
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...(this.config.audience ? { audience: this.config.audience } : {}),
      });
      if (typeof decoded === 'string') throw invalid('token payload is not an object');
      claims = decoded;
    } catch (error) {
      if (error instanceof AuthException) throw error;
      if (error instanceof jwt.TokenExpiredError) throw new AuthException(ErrorCode.TokenExpired, 'token has expired');
      // jsonwebtoken's messages name the configured issuer and audience ("expected: ..."):
      // say what failed, never what the server expects.
      const reason = error instanceof Error ? error.message.replace(/\.?\s*expected:[\s\S]*$/, '') : 'verification failed';
      throw invalid(`token rejected: ${reason}`);
    }
    return toPrincipal(claims, this.config.claims);
  }

  private hmacChecks(algorithms: JwtAlgorithm[]): HmacJwtChecks {
    return {
      algorithms,
      clockToleranceSec: this.config.clockToleranceSec,
      ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
      ...(this.config.audience ? { audience: this.config.audience } : {}),
    };
  }
}

/** The header's `kid` and `alg`, read (not trusted) to pick the key. */
function headerOf(token: string): { kid: string | undefined; alg: string } {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalid('token rejected: jwt malformed');
  }
  if (typeof header.alg !== 'string') throw invalid('token has no alg');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw invalid('token has an invalid kid');
  return { kid: header.kid, alg: header.alg };
}
