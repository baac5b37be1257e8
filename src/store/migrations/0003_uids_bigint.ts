// IMAP UIDs run up to 2^32 - 1 (RFC 3501 §2.3.1.1); PostgreSQL's `integer` stops at 2^31 - 1,
// so a server handing out larger UIDs failed every insert of its messages, and the poller stopped
// there. SQLite's integers are 64-bit already.
import type { Kysely, Migration } from '../kysely.js';
import type { Dialect } from '../schema.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's Database type
type AnyDb = Kysely<any>;

const UID_COLUMNS = [
  ['messages', 'uid'],
  ['mailbox_cursors', 'last_uid'],
  ['unfetched_messages', 'uid'],
] as const;

async function retype(db: AnyDb, dialect: Dialect, type: 'bigint' | 'integer'): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const [table, column] of UID_COLUMNS) {
    await db.schema
      .alterTable(table)
      .alterColumn(column, (c) => c.setDataType(type))
      .execute();
  }
}

export function uidsBigint(dialect: Dialect): Migration {
  return {
    up: (db) => retype(db, dialect, 'bigint'),
    down: (db) => retype(db, dialect, 'integer'),
  };
}
