import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { Response } from 'express';
import { AuthException } from '../auth/auth.exception';
import { isDatabaseUnavailable } from '../database/database-error.util';
import { ApiException } from './api.exception';
import { RETRY_AFTER_SEC } from './request-bounds.middleware';


/**
 * An error from the publish path carrying a contract code that means "not now": the store
 * was unavailable, or did not confirm in time. Recognised by its code, not its class, so
 * this floor does not import the events module.
 */
function isUnavailableCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && (code === ErrorCode.Unavailable || code === ErrorCode.OutcomeUnknown);
}

/**
 * Every HTTP error leaves as `{ code, message }` with a fitting status; never a stack. A
 * database that cannot be reached or did not answer in time is `503 unavailable` with
 * `Retry-After`, never a 500: the request did nothing wrong and may be sent again.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.describe(error);
    // Already answered (a write past its time limit got its 503); a late failure goes nowhere.
    if (response.headersSent) return;
    if (status === 503) {
      response.setHeader('Retry-After', String(RETRY_AFTER_SEC));
      const what = body.code === ErrorCode.AuthUnavailable ? "the identity provider's keys are not loaded" : 'database unavailable or overloaded';
      this.logger.warn({ msg: `request refused: ${what}`, reason: body.message });
    } else if (status >= 500) this.logger.error(error instanceof Error ? error : String(error));
    response.status(status).json(body);
  }

  private describe(error: unknown): [number, { code: string; message: string }] {
    if (error instanceof ApiException) return [error.getStatus(), { code: error.code, message: error.message }];
    if (error instanceof AuthException) {
      // The token may well be good: the provider's keys are what is missing, so "retry later".
      return [error.code === ErrorCode.AuthUnavailable ? 503 : 401, { code: error.code, message: error.message }];
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const code = status === 404 ? ErrorCode.NotFound : status < 500 ? ErrorCode.InvalidRequest : ErrorCode.Internal;
      return [status, { code, message: error.message }];
    }
    // Malformed JSON bodies arrive from body-parser as errors with a status.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return [status, { code: ErrorCode.InvalidRequest, message: (error as Error).message }];
    }
    if (isUnavailableCode(error) || isDatabaseUnavailable(error)) {
      const unknown = (error as { code?: unknown }).code === ErrorCode.OutcomeUnknown;
      const message = unknown
        ? 'the database did not confirm the change in time; it may have been applied'
        : 'the database is unavailable; retry later';
      return [503, { code: ErrorCode.Unavailable, message }];
    }
    return [500, { code: ErrorCode.Internal, message: 'internal error' }];
  }
}
