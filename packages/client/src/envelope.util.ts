import type { EventEnvelope } from '@taskdash/contract';

/**
 * Checks the fields the client relies on to order and de-duplicate events. The server
 * validates payloads; this only keeps a malformed message from corrupting positions.
 */
export function isEnvelope(value: unknown): value is EventEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.stream === 'string' &&
    typeof e.seq === 'number' &&
    Number.isSafeInteger(e.seq) &&
    e.seq >= 0 &&
    typeof e.epoch === 'string' &&
    typeof e.type === 'string'
  );
}
