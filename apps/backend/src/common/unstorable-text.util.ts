/** What PostgreSQL's text and jsonb refuse (22021, 22P05): NUL, and UTF-16 halves without their pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface UnstorableText {
  path: (string | number)[];
  problem: string;
}

/** The first string (value or key) in `value` that the database cannot store, if any. */
export function findUnstorableText(value: unknown, path: (string | number)[] = [], depth = 0): UnstorableText | undefined {
  if (typeof value === 'string') return problemOf(value, path);
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    const bad = (typeof key === 'string' ? problemOf(key, [...path, key]) : undefined) ?? findUnstorableText(item, [...path, key], depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

function problemOf(text: string, path: (string | number)[]): UnstorableText | undefined {
  if (text.includes('\u0000')) return { path, problem: 'must not contain the NUL character (U+0000)' };
  if (LONE_SURROGATE.test(text)) return { path, problem: 'must be well-formed Unicode (an unpaired surrogate was found)' };
  return undefined;
}
