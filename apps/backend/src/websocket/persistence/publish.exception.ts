import { ErrorCode } from '@taskdash/contract';

export type PublishErrorCode = typeof ErrorCode.InvalidMessage | typeof ErrorCode.Unavailable;

/**
 * A publish that was not stored. `invalid_message`: the event breaks the contract (a bug in
 * the caller). `unavailable`: the store could not take it in time; nothing was stored for
 * this call unless `maybeStored` says the outcome of the last attempt is unknown.
 */
export class PublishException extends Error {
  constructor(
    readonly code: PublishErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PublishException';
  }
}
