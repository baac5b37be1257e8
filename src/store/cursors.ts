// Per-mailbox IMAP position: UIDVALIDITY and the highest UID stored, plus poll health for the
// dashboard. The cursor only moves after the message rows commit, so a crash re-fetches; past a
// message the server would not hand over only once that message is recorded as unfetched.
import { type Db, nowIso, toDate } from './db.js';
import { sql } from './kysely.js';

export interface Cursor {
  mailbox: string;
  uidValidity: string | null;
  lastUid: number;
  lastPollAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

export async function getCursor(db: Db, mailbox: string): Promise<Cursor | undefined> {
  const r = await db.k
    .selectFrom('mailbox_cursors')
    .selectAll()
    .where('mailbox', '=', mailbox)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    mailbox: r.mailbox,
    uidValidity: r.uidvalidity,
    lastUid: r.last_uid,
    lastPollAt: toDate(r.last_poll_at),
    lastError: r.last_error,
    lastErrorAt: toDate(r.last_error_at),
  };
}

/** Upsert; within one UIDVALIDITY lastUid never goes backwards (two pollers, a late write). */
export async function saveCursor(
  db: Db,
  mailbox: string,
  uidValidity: string,
  lastUid: number,
): Promise<void> {
  const now = nowIso();
  await db.k
    .insertInto('mailbox_cursors')
    .values({ mailbox, uidvalidity: uidValidity, last_uid: lastUid, updated_at: now })
    .onConflict((oc) =>
      oc.column('mailbox').doUpdateSet((eb) => ({
        uidvalidity: eb.ref('excluded.uidvalidity'),
        // A new UIDVALIDITY restarts numbering, so then the new value wins outright.
        last_uid: eb
          .case()
          .when(
            eb.and([
              eb('mailbox_cursors.uidvalidity', '=', eb.ref('excluded.uidvalidity')),
              eb('mailbox_cursors.last_uid', '>', eb.ref('excluded.last_uid')),
            ]),
          )
          .then(eb.ref('mailbox_cursors.last_uid'))
          .else(eb.ref('excluded.last_uid'))
          .end(),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

export async function recordPoll(
  db: Db,
  mailbox: string,
  outcome: { ok: true } | { ok: false; error: string },
): Promise<void> {
  const now = nowIso();
  const set = outcome.ok
    ? { last_poll_at: now, last_error: null, last_error_at: null, updated_at: now }
    : { last_error: outcome.error, last_error_at: now, updated_at: now };
  await db.k
    .insertInto('mailbox_cursors')
    .values({ mailbox, uidvalidity: null, last_uid: 0, ...set })
    .onConflict((oc) => oc.column('mailbox').doUpdateSet(set))
    .execute();
}

export interface UnfetchedMessage {
  mailbox: string;
  uidValidity: string;
  uid: number;
  receivedAt: Date;
  size: number | undefined;
  attempts: number;
  error: string;
}

/** Idempotent: a message recorded once stays as first recorded. */
export async function recordUnfetched(db: Db, m: UnfetchedMessage): Promise<void> {
  await db.k
    .insertInto('unfetched_messages')
    .values({
      mailbox: m.mailbox,
      uidvalidity: m.uidValidity,
      uid: m.uid,
      received_at: m.receivedAt.toISOString(),
      size: m.size ?? null,
      attempts: m.attempts,
      error: m.error,
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.columns(['mailbox', 'uidvalidity', 'uid']).doNothing())
    .execute();
}

/** UIDs recorded as unfetched under `uidValidity` that nobody has stored or resolved since. */
export async function stillUnfetched(
  db: Db,
  mailbox: string,
  uidValidity: string,
): Promise<number[]> {
  const rows = await db.k
    .selectFrom('unfetched_messages')
    .select('uid')
    .where('mailbox', '=', mailbox)
    .where('uidvalidity', '=', uidValidity)
    .where('resolved_at', 'is', null)
    .orderBy('uid')
    .execute();
  return rows.map((r) => Number(r.uid));
}

/** The poller stored it on a later try: it leaves the dashboard's list as if fetched by hand. */
export async function fetchedLater(
  db: Db,
  mailbox: string,
  uidValidity: string,
  uid: number,
): Promise<void> {
  await db.k
    .updateTable('unfetched_messages')
    .set({ resolved_at: nowIso(), resolved_by: 'poller' })
    .where('mailbox', '=', mailbox)
    .where('uidvalidity', '=', uidValidity)
    .where('uid', '=', uid)
    .where('resolved_at', 'is', null)
    .execute();
}

/**
 * An organiser has fetched it by hand: it leaves the dashboard's list. Marked once (a second
 * click keeps the first's who and when); false if there is no such row.
 */
export async function resolveUnfetched(db: Db, id: number, actor: string): Promise<boolean> {
  const r = await db.k
    .updateTable('unfetched_messages')
    .set({
      resolved_at: sql`coalesce(resolved_at, ${nowIso()})`,
      resolved_by: sql`coalesce(resolved_by, ${actor})`,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
