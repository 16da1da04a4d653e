import { ErrorCode } from '@taskdash/contract';

export type PublishErrorCode =
  | typeof ErrorCode.InvalidMessage
  | typeof ErrorCode.Unavailable
  | typeof ErrorCode.OutcomeUnknown;

/**
 * A publish that did not succeed.
 * - `invalid_message`: the event breaks the contract (a bug in the caller); nothing stored.
 * - `unavailable`: the store could not take it (queue full for too long, publisher shutting
 *   down); nothing was stored for this call.
 * - `outcome_unknown`: the database stopped answering mid-write and did not confirm in
 *   time; the event may be stored. Retrying with the same id is safe (it is stored once),
 *   and a stored event is delivered either way.
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
