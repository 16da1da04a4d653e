import { hash } from 'node:crypto';

/**
 * A uuid (version 5 layout) derived from `key`: the same fact always gets the same event
 * id, so a producer that re-derives events after a crash can check which are stored.
 */
export function stableEventId(key: string): string {
  // One-shot `hash` (Node >= 20.12) costs half of a createHash/update/digest chain.
  const bytes = hash('sha1', key, 'buffer').subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
