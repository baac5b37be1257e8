// Raw messages as they arrived: one row per mailbox UID or per dropped/imported file, written
// before anything else so the database, not the mailbox, is the record (DESIGN.md §3).
import { type Db, nowIso, StoreError, toDate } from './db.js';
import type { Selectable } from './kysely.js';
import type { MessageSource, MessageState, MessageTable, ReceivedAtSource } from './schema.js';

export interface NewMessage {
  source: MessageSource;
  mailbox: string;
  uidValidity: string | null;
  uid: number | null;
  sha256: string;
  size: number;
  receivedAt: Date;
  receivedAtSource: ReceivedAtSource;
  originalName?: string | null;
}

export interface MessageRow {
  id: number;
  source: MessageSource;
  sourceKey: string;
  mailbox: string;
  uidValidity: string | null;
  uid: number | null;
  sha256: string;
  size: number;
  receivedAt: Date;
  receivedAtSource: ReceivedAtSource;
  originalName: string | null;
  messageIdHeader: string | null;
  state: MessageState;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  processedAt: Date | null;
}

/** The idempotency key: the same UID (or the same file from the same source) is one row. */
export function sourceKey(
  m: Pick<NewMessage, 'source' | 'mailbox' | 'uidValidity' | 'uid' | 'sha256'>,
): string {
  if (m.source === 'imap') {
    if (m.uidValidity === null || m.uid === null) {
      throw new StoreError('InvalidMessage', 'an IMAP message needs uidValidity and uid');
    }
    return `imap:${m.mailbox}:${m.uidValidity}:${m.uid}`;
  }
  return `${m.source}:${m.sha256}`;
}

export async function insertMessage(
  db: Db,
  m: NewMessage,
): Promise<{ id: number; inserted: boolean }> {
  const key = sourceKey(m);
  const row = await db.k
    .insertInto('messages')
    .values({
      source: m.source,
      source_key: key,
      mailbox: m.mailbox,
      uidvalidity: m.uidValidity,
      uid: m.uid,
      sha256: m.sha256,
      size: m.size,
      received_at: m.receivedAt.toISOString(),
      received_at_source: m.receivedAtSource,
      original_name: m.originalName ?? null,
      state: 'pending',
      attempts: 0,
      created_at: nowIso(),
    })
    // No conflict target: either unique key (source_key, or mailbox+uidvalidity+uid) means
    // "already have it".
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (row) return { id: row.id, inserted: true };
  const existing = await db.k
    .selectFrom('messages')
    .select('id')
    .where('source_key', '=', key)
    .executeTakeFirstOrThrow();
  return { id: existing.id, inserted: false };
}

export async function getMessage(db: Db, id: number): Promise<MessageRow | undefined> {
  const row = await db.k.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toMessageRow(row);
}

/** After a UIDVALIDITY change the same mail reappears under new UIDs: find it by content. */
export async function findMessageBySha(
  db: Db,
  mailbox: string,
  sha256: string,
): Promise<MessageRow | undefined> {
  const row = await db.k
    .selectFrom('messages')
    .selectAll()
    .where('mailbox', '=', mailbox)
    .where('sha256', '=', sha256)
    .orderBy('id')
    .executeTakeFirst();
  return row && toMessageRow(row);
}

export async function setMessageState(
  db: Db,
  id: number,
  state: MessageState,
  error?: string | null,
  /** Give back the attempt this processing took: it failed on an outage, not on the message. */
  opts: { refundAttempt?: boolean } = {},
): Promise<void> {
  await db.k
    .updateTable('messages')
    .set((eb) => ({
      state,
      // attempts counts starts of processing, so a message that keeps crashing the worker
      // can be recognised and given up on.
      attempts:
        state === 'processing'
          ? eb('attempts', '+', 1)
          : opts.refundAttempt
            ? eb('attempts', '-', 1)
            : eb.ref('attempts'),
      last_error: error !== undefined ? error : state === 'processed' ? null : eb.ref('last_error'),
      processed_at: state === 'processed' ? nowIso() : eb.ref('processed_at'),
    }))
    .where('id', '=', id)
    // Filed is final: a second run of the job (a stalled BullMQ job) that read the row before the
    // filing committed must not take the mark back, or the sweep would run it until it "failed".
    .where('state', '!=', 'processed')
    .execute();
}

/** Messages whose processing never finished, oldest first: the sweep re-enqueues them. */
export async function listUnfinishedMessageIds(db: Db, limit = 1000): Promise<number[]> {
  const rows = await db.k
    .selectFrom('messages')
    .select('id')
    .where('state', 'in', ['pending', 'processing'])
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export async function countMessages(db: Db): Promise<number> {
  const row = await db.k
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  // kysely types count(*) as number | string | bigint.
  return Number(row.n);
}

export function toMessageRow(r: Selectable<MessageTable>): MessageRow {
  return {
    id: r.id,
    source: r.source,
    sourceKey: r.source_key,
    mailbox: r.mailbox,
    uidValidity: r.uidvalidity,
    uid: r.uid,
    sha256: r.sha256,
    size: r.size,
    receivedAt: toDate(r.received_at),
    receivedAtSource: r.received_at_source,
    originalName: r.original_name,
    messageIdHeader: r.message_id_header,
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: toDate(r.created_at),
    processedAt: toDate(r.processed_at),
  };
}
