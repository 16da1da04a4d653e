import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { Response } from 'express';
import { AuthException } from '../auth/auth.exception';
import { ApiException } from './api.exception';

/** Every HTTP error leaves as `{ code, message }` with a fitting status; never a stack. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.describe(error);
    if (status >= 500) this.logger.error(error instanceof Error ? error : String(error));
    response.status(status).json(body);
  }

  private describe(error: unknown): [number, { code: string; message: string }] {
    if (error instanceof ApiException) return [error.getStatus(), { code: error.code, message: error.message }];
    if (error instanceof AuthException) return [401, { code: error.code, message: error.message }];
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
    return [500, { code: ErrorCode.Internal, message: 'internal error' }];
  }
}
