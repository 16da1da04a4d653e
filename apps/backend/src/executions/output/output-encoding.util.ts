import { isUtf8 } from 'node:buffer';
import type { EventPayloads } from '@taskdash/contract';

type OutputData = Pick<EventPayloads['execution.output'], 'data' | 'encoding'>;

/**
 * The `data` of an output event: the bytes as text when they are valid UTF-8 (the chunker
 * never splits a character, so output that is text stays text), else base64, so bytes
 * that are not text still arrive exactly.
 */
export function encodeOutput(bytes: Uint8Array): OutputData {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buffer) ? { data: buffer.toString('utf8') } : { data: buffer.toString('base64'), encoding: 'base64' };
}

/** The bytes an output event carries (for clients and tests). */
export function decodeOutput(payload: OutputData): Buffer {
  return Buffer.from(payload.data, payload.encoding === 'base64' ? 'base64' : 'utf8');
}
