import { ErrorCode } from '@taskdash/contract';

export type AuthErrorCode =
  | typeof ErrorCode.TokenMissing
  | typeof ErrorCode.TokenInQuery
  | typeof ErrorCode.TokenInvalid
  | typeof ErrorCode.TokenExpired
  | typeof ErrorCode.TokenRevoked
  | typeof ErrorCode.AuthUnavailable
  | typeof ErrorCode.OriginNotAllowed
  | typeof ErrorCode.UserDisabled;

/** A rejected credential. `message` is safe to show the client; it never echoes the token. */
export class AuthException extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuthException';
  }
}
