// The initial schema, for every table the service will need (DESIGN.md §3): mailbox cursors,
// raw messages, cases, submissions with their attachments and findings, replies, audit log and
// the counters that number cases. The same code builds it on SQLite and PostgreSQL.
import type { Kysely, Migration } from '../kysely.js';
import type { Dialect } from '../schema.js';
import { idColumn } from './columns.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's Database type
type AnyDb = Kysely<any>;

async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  const id = idColumn(dialect);

  await db.schema
    .createTable('mailbox_cursors')
    .addColumn('mailbox', 'text', (c) => c.primaryKey())
    .addColumn('uidvalidity', 'text')
    .addColumn('last_uid', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_poll_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'integer', id)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_key', 'text', (c) => c.notNull().unique())
    .addColumn('mailbox', 'text', (c) => c.notNull())
    .addColumn('uidvalidity', 'text')
    .addColumn('uid', 'integer')
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('received_at_source', 'text', (c) => c.notNull())
    .addColumn('original_name', 'text')
    .addColumn('message_id_header', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    // NULL uid/uidvalidity (drop folder, import) are distinct in a UNIQUE on both dialects.
    .addUniqueConstraint('messages_mailbox_uid_unique', ['mailbox', 'uidvalidity', 'uid'])
    .execute();
  await db.schema.createIndex('messages_sha256_idx').on('messages').column('sha256').execute();
  await db.schema.createIndex('messages_state_idx').on('messages').column('state').execute();

  await db.schema
    .createTable('cases')
    .addColumn('id', 'integer', id)
    .addColumn('case_no', 'text', (c) => c.notNull().unique())
    .addColumn('case_key', 'text', (c) => c.notNull().unique())
    .addColumn('organization', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('direction', 'text')
    .addColumn('applicant_type', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('verdict_override', 'text')
    .addColumn('override_reason', 'text')
    // No foreign key: cases and submissions point at each other, and SQLite cannot add a
    // constraint after both tables exist.
    .addColumn('current_submission_id', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('submissions')
    .addColumn('id', 'integer', id)
    .addColumn('message_row_id', 'integer', (c) => c.notNull().unique().references('messages.id'))
    .addColumn('case_id', 'integer', (c) => c.references('cases.id'))
    .addColumn('message_id_header', 'text')
    .addColumn('from_address', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('superseded_by', 'integer', (c) => c.references('submissions.id'))
    .addColumn('duplicate_of', 'integer', (c) => c.references('submissions.id'))
    .addColumn('result_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('submissions_case_idx').on('submissions').column('case_id').execute();

  await db.schema
    .createTable('attachments')
    .addColumn('id', 'integer', id)
    .addColumn('submission_id', 'integer', (c) => c.notNull().references('submissions.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('detected_type', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('inside_archive', 'text')
    .execute();
  await db.schema
    .createIndex('attachments_submission_idx')
    .on('attachments')
    .column('submission_id')
    .execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', 'integer', id)
    .addColumn('submission_id', 'integer', (c) => c.notNull().references('submissions.id'))
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('findings_submission_idx')
    .on('findings')
    .column('submission_id')
    .execute();

  await db.schema
    .createTable('replies')
    .addColumn('id', 'integer', id)
    .addColumn('submission_id', 'integer', (c) => c.notNull().references('submissions.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('recipient', 'text')
    .addColumn('message_id', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('suppressed_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    // One reply of each kind per submission: a job that runs twice cannot send twice.
    .addUniqueConstraint('replies_submission_kind_unique', ['submission_id', 'kind'])
    .execute();
  await db.schema.createIndex('replies_state_idx').on('replies').column('state').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', id)
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'integer')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail_json', 'text')
    .execute();
  await db.schema
    .createIndex('audit_log_entity_idx')
    .on('audit_log')
    .columns(['entity', 'entity_id'])
    .execute();

  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
}

async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'counters',
    'audit_log',
    'replies',
    'findings',
    'attachments',
    'submissions',
    'cases',
    'messages',
    'mailbox_cursors',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

export function initial(dialect: Dialect): Migration {
  return { up: (db) => up(db, dialect), down };
}
