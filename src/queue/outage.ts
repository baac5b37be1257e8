// Which failures are the machine's, not the message's: a full disk, a database that is busy or
// restarting, a connection refused. A job that fails on one of these says nothing about its
// message, so it must not use up the message's attempts (src/pipeline.ts): an outage longer than
// the queue's retries would otherwise mark good mail `failed`. Pure, so unit-tested on the error
// shapes Node, better-sqlite3 and pg really produce.

/** errno codes of a filesystem or process out of room: they heal when the room comes back. */
const FS_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EMFILE', 'ENFILE']);
/** Sockets to the database (or Redis) that failed on the way, not on the content. */
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
/** better-sqlite3: another writer holds the lock, or the database's disk is full. */
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL']);
/**
 * PostgreSQL SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * 08 connection exception, 53 insufficient resources (disk full, out of memory), 57P01–57P03
 * administrator/crash shutdown and "cannot connect now" (a server restarting).
 */
const PG_CLASSES = ['08', '53'];
const PG_CODES = new Set(['57P01', '57P02', '57P03']);

export function isOutage(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (FS_CODES.has(code) || NET_CODES.has(code) || SQLITE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && (PG_CODES.has(code) || PG_CLASSES.includes(code.slice(0, 2))))
      return true;
  }
  // pg reports without a code a socket closed under a query, and a query on a client whose
  // connection already failed (the server's 57P01 arrived while it was idle).
  return (
    typeof message === 'string' &&
    /^(Connection terminated|Client has encountered a connection error)/.test(message)
  );
}
