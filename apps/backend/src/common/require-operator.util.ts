import { ErrorCode } from '@taskdash/contract';
import { ApiException } from './api.exception';
import { isOperator, type Principal } from '../auth/principal.types';

/**
 * Refuses a caller who is neither operator nor admin with `403 forbidden`: the audience of
 * the `system` and `queue:` streams, and so of the HTTP routes that read or change them.
 *
 * @example
 * requireOperator(principal, 'only operators and admins see alerts');
 */
export function requireOperator(principal: Principal, message: string): void {
  if (!isOperator(principal)) throw new ApiException(ErrorCode.Forbidden, message, 403);
}
