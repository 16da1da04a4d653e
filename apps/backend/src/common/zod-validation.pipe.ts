import { Injectable, type PipeTransform } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { z } from 'zod';
import { ApiException } from './api.exception';

/** Validates a body or parameter with a zod schema; failures become 400 `invalid_request`. */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const message = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
      .join('; ');
    throw new ApiException(ErrorCode.InvalidRequest, message, 400);
  }
}
