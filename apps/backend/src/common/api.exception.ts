import { HttpException } from '@nestjs/common';
import type { ErrorCode } from '@taskdash/contract';

/** An HTTP error with a contract code; the filter turns it into `{ code, message }`. */
export class ApiException extends HttpException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    status: number,
  ) {
    super({ code, message }, status);
  }
}
