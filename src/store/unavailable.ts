/**
 * Telling "the backing service is away" apart from every other failure. A lost database or Redis
 * is not the client's fault and not a bug: the HTTP layer answers 503 with `Retry-After` (docs/operations.md, "Health, shutdown and outages")
 * and a generic body; the driver's message (host names, SQL) only goes to the log.
 */

/** Seconds a client is told to wait (`Retry-After`) while a backing service is unavailable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** A backing service (database, counter store) cannot be reached; the cause is kept for the log. */
export class StoreUnavailableError extends Error {
  /** Which service is away, for the log only: `'database'` or `'counters'`. */
  readonly service: 'database' | 'counters';
  constructor(service: 'database' | 'counters', cause?: unknown) {
    super(`${service} unavailable`, { cause });
    this.name = 'StoreUnavailableError';
    this.service = service;
  }
}

/** Node socket errors that mean the peer is unreachable or went away mid-conversation. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs that say "no usable connection" (Appendix A of the PostgreSQL manual):
 * class 08 connection exceptions, 57P01-57P03 shutdown/admin termination/starting up, 53300
 * too_many_connections, 3D000 database does not exist (dropped or not yet created), and 55000
 * when the database refuses connections (`ALLOW_CONNECTIONS false`, during maintenance).
 */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '3D000', '55000']);

/** SQLite result codes for a locked, unreadable or unopenable database file. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY)/;

/** Messages `pg` and its pool produce without a code when a connection dies or never comes. */
const PG_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|Cannot use a pool after calling end|Query read timeout)/;

/**
 * True when `error` means the database is unreachable (rather than a bad query or a bug):
 * `StoreUnavailableError` itself, socket errors, the PostgreSQL codes above, SQLite's lock and I/O
 * codes, and `pg`'s code-less connection messages.
 */
export function isUnavailableError(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || PG_UNAVAILABLE.has(code) || code.startsWith('08')) return true;
    if (SQLITE_UNAVAILABLE.test(code)) return true;
  }
  if (typeof message === 'string' && PG_MESSAGES.test(message)) return true;
  // Node wraps simultaneous IPv4/IPv6 connection attempts into one AggregateError.
  if (error instanceof AggregateError) return error.errors.some(isUnavailableError);
  return false;
}
