import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { z } from 'zod';
import { ApiException } from './api.exception';
import { findUnstorableText } from './unstorable-text.util';

/**
 * Validates a body, query or route parameter with a zod schema; failures become 400
 * `invalid_request`, each issue labelled with where it was (`body.title`, `query.limit`,
 * `param`). Text PostgreSQL cannot store (a NUL character, an unpaired UTF-16 surrogate) is
 * refused here too, in every string of the input, so it never reaches the database as a 500.
 */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, metadata?: ArgumentMetadata): z.infer<S> {
    const where = labelOf(metadata);
    const result = this.schema.safeParse(value);
    if (!result.success) {
      const message = result.error.issues
        .slice(0, 5)
        .map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`)
        .join('; ');
      throw new ApiException(ErrorCode.InvalidRequest, message, 400);
    }
    const bad = findUnstorableText(result.data);
    if (bad) {
      throw new ApiException(ErrorCode.InvalidRequest, `${[where, ...bad.path].join('.')}: ${bad.problem}`, 400);
    }
    return result.data;
  }
}

/** `body`, `query`, or `param.id`: where the input came from, for the error message. */
function labelOf(metadata: ArgumentMetadata | undefined): string {
  const type = !metadata || metadata.type === 'custom' ? 'body' : metadata.type;
  return metadata?.data ? `${type}.${metadata.data}` : type;
}
