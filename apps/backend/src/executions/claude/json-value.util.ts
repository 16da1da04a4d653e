import { MAX_EVENT_TEXT } from '@taskdash/contract';

// Readers for untrusted JSON: each returns the value when it has the expected type (and is
// in range), else `undefined`, so an unexpected field never fails a whole line.

export type Json = Record<string, unknown>;

export const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

export const arr = (value: unknown): unknown[] | undefined => (Array.isArray(value) ? value : undefined);

/** A string, cut to `max` characters. */
export const str = (value: unknown, max = 256): string | undefined =>
  typeof value === 'string' ? cutText(value, max).text : undefined;

export const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

export const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

export const nonNegative = (value: unknown): number | undefined => {
  const n = num(value);
  return n !== undefined && n >= 0 ? n : undefined;
};

export const int = (value: unknown): number | undefined => {
  const n = num(value);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
};

export const count = (value: unknown): number | undefined => {
  const n = int(value);
  return n !== undefined && n >= 0 ? n : undefined;
};

/** `text` cut to `max` UTF-16 units without splitting a surrogate pair. */
export function cutText(text: string, max = MAX_EVENT_TEXT): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return { text: text.slice(0, end), truncated: true };
}

/** A JSON object small enough for an event (usage figures), else `undefined`. */
export const smallObject = (value: unknown, maxChars = 8192): Json | undefined => {
  const o = obj(value);
  return o && JSON.stringify(o).length <= maxChars ? o : undefined;
};

/** Drops `undefined` fields, so payloads carry only what the line had. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
