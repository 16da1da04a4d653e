/**
 * Classifies errors that come up from the database through Prisma (its driver-adapter
 * errors carry the PostgreSQL SQLSTATE or the driver's cause) or straight from `pg`.
 */

/** The SQLSTATEs and driver codes found on `error` and its causes. */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6 || typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    for (const key of ['code', 'originalCode', 'kind', 'errno']) {
      const code = record[key];
      if (typeof code === 'string') codes.push(code);
    }
    visit(record.cause, depth + 1);
    visit(record.meta, depth + 1);
    visit(record.driverAdapterError, depth + 1);
  };
  visit(error, 0);
  const message = error instanceof Error ? error.message : '';
  for (const match of message.matchAll(/\b(40P01|40001|08\d{3}|57P0\d|53300)\b/g)) codes.push(match[1]!);
  return codes;
}

/** A deadlock or serialization failure: PostgreSQL rolled the transaction back; running it again is safe. */
export function isRetryableConflict(error: unknown): boolean {
  return codesOf(error).some((code) => code === '40P01' || code === '40001' || code === 'TransactionWriteConflict');
}

const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Unable to start a transaction in the given time',
  'Transaction already closed',
  'Transaction not found',
  'Client has encountered a connection error',
  "Can't reach database server",
  'Server has closed the connection',
  'the database system is',
];

/**
 * The database could not be reached or did not answer in time: connection refused, reset
 * or closed, no pooled connection in time, a transaction that timed out, the server shutting
 * down or out of connections. The request may succeed later; it is not the caller's fault.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const codes = codesOf(error);
  const unreachable = codes.some(
    (code) =>
      /^08/.test(code) ||
      /^57P0/.test(code) ||
      code === '53300' ||
      code === 'P1001' ||
      code === 'P1017' ||
      code === 'P2024' ||
      code === 'P2028' ||
      code === 'ConnectionClosed' ||
      code === 'TransactionAlreadyClosed' ||
      code === 'SocketTimeout' ||
      code === 'DatabaseNotReachable' ||
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      code === 'ETIMEDOUT' ||
      code === 'EPIPE',
  );
  if (unreachable) return true;
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) messages.push(e.message);
  return messages.some((message) => UNAVAILABLE_MESSAGES.some((known) => message.includes(known)));
}
