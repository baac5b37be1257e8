// Messages the IMAP server would not hand over after repeated attempts: the poller records each
// one here and goes on past it, so one bad message does not hold up the mail behind it. It stays
// in the mailbox; the dashboard lists it for an organiser to fetch by hand, and to mark as dealt
// with once they have.
import type { Kysely, Migration } from '../kysely.js';
import type { Dialect } from '../schema.js';
import { idColumn } from './columns.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's Database type
type AnyDb = Kysely<any>;

async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('unfetched_messages')
    .addColumn('id', 'integer', idColumn(dialect))
    .addColumn('mailbox', 'text', (c) => c.notNull())
    .addColumn('uidvalidity', 'text', (c) => c.notNull())
    .addColumn('uid', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('size', 'integer')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'text')
    .addUniqueConstraint('unfetched_messages_key', ['mailbox', 'uidvalidity', 'uid'])
    .execute();
}

async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('unfetched_messages').ifExists().execute();
}

export function unfetchedMessages(dialect: Dialect): Migration {
  return { up: (db) => up(db, dialect), down };
}
