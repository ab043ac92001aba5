// Telling "the store is down" from a bug. A PostgreSQL server that stops,
// restarts or cannot be reached makes queries fail with connection errors;
// the hub answers those 503 store_unavailable with Retry-After (the client
// should come back), not 500 internal. The pool reconnects on the next query.

/** Node socket errors when the server is unreachable or the connection broke. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATE: class 08 (connection exception); 57P01–57P03 (server shutting down, crashed, starting up). */
const unavailableSqlState = (code: string): boolean => code.startsWith('08') || /^57P0[1-3]$/.test(code);

/** What node-postgres and its pool throw without a code when the server goes away. */
const MESSAGES = [
  /^timeout exceeded when trying to connect$/,
  /^Connection terminated/,
  /connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^terminating connection due to administrator command/,
];

export function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || unavailableSqlState(code))) return true;
    if (MESSAGES.some((re) => re.test(e.message))) return true;
    // AggregateError: a host name with several addresses, every one refused.
    if (e instanceof AggregateError && e.errors.some(isStoreUnavailable)) return true;
  }
  return false;
}

/** Seconds a client is told to wait before retrying while the store is down. */
export const STORE_RETRY_AFTER_S = 5;
