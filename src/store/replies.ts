// Replies to applicants. The row (unique per submission and kind) is the idempotency record:
// a reply job that runs twice finds the row already `sent`, or, while the first run still
// sends, claimed by it (`claimed_until`).
import { writeAudit } from './audit.js';
import { isLater } from './case-filing.js';
import { type Db, type Dialect, inTransaction, nowIso } from './db.js';
import { type Kysely, type Selectable, sql } from './kysely.js';
import type { Database, ReplyState, ReplyTable } from './schema.js';

/** Replies still to send, oldest first: the sweep re-enqueues them after a Redis loss. */
export async function listUnfinishedReplyIds(db: Db, limit = 1000): Promise<number[]> {
  const rows = await db.k
    .selectFrom('replies')
    .select('id')
    .where('state', '=', 'pending')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export interface ReplyRow {
  id: number;
  submissionId: number;
  kind: string;
  state: ReplyState;
  recipient: string | null;
  messageId: string | null;
  attempts: number;
  lastError: string | null;
  suppressedReason: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** What the planner decided for one submission, written in the filing transaction. */
export interface PlannedReply {
  kind: string;
  recipient: string | null;
  /** Set when the guard already said no (robot, own address, duplicate). */
  suppressedReason: string | null;
  /** Per-recipient limits; absent for replies an organiser asked for. */
  limits?: { perHour: number; perDay: number };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function toReplyRow(r: Selectable<ReplyTable>): ReplyRow {
  return {
    id: r.id,
    submissionId: r.submission_id,
    kind: r.kind,
    state: r.state,
    recipient: r.recipient,
    messageId: r.message_id,
    attempts: r.attempts,
    lastError: r.last_error,
    suppressedReason: r.suppressed_reason,
    createdAt: new Date(r.created_at),
    sentAt: r.sent_at === null ? null : new Date(r.sent_at),
  };
}

/**
 * Inserts the planned reply unless (submission, kind) already has one; returns the row either
 * way. The daily limit is counted here, inside the caller's transaction, from every reply to the
 * address that is pending or sent: counting only `sent` would let a burst through while the
 * first replies still wait in the queue. The hourly limit only defers (`sendLimit`).
 */
export async function insertPlannedReply(
  trx: Kysely<Database>,
  dialect: Dialect,
  submissionId: number,
  plan: PlannedReply,
  at: string = nowIso(),
): Promise<ReplyRow> {
  const planned = () =>
    trx
      .selectFrom('replies')
      .selectAll()
      .where('submission_id', '=', submissionId)
      .where('kind', '=', plan.kind)
      .executeTakeFirst();
  const existing = await planned();
  if (existing) return toReplyRow(existing);
  const recipient = plan.recipient?.trim().toLowerCase() || null;
  let reason = plan.suppressedReason ?? (recipient ? null : 'no-recipient');
  if (!reason && recipient && plan.limits) {
    // Two PostgreSQL filings for one address could both count 19 and both insert; the
    // transaction-scoped advisory lock makes them take turns (SQLite writers already do).
    if (dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(hashtext(${recipient}))`.execute(trx);
    const today = await countRecent(trx, recipient, DAY_MS, Date.parse(at), ['pending', 'sent']);
    if (today >= plan.limits.perDay) reason = `rate-limit-day:${plan.limits.perDay}`;
  }
  const inserted = await trx
    .insertInto('replies')
    .values({
      submission_id: submissionId,
      kind: plan.kind,
      state: reason ? 'suppressed' : 'pending',
      recipient,
      attempts: 0,
      suppressed_reason: reason,
      created_at: at,
    })
    // Another transaction planned the same reply since the look above (on PostgreSQL, an
    // organiser's double click on a decision): its row, not a unique-key error.
    .onConflict((oc) => oc.columns(['submission_id', 'kind']).doNothing())
    .returningAll()
    .executeTakeFirst();
  const row = inserted ?? (await planned());
  if (!row)
    throw new Error(`reply ${plan.kind} of submission ${submissionId} neither new nor found`);
  if (inserted && reason) await auditSuppressed(trx, inserted.id, reason, at);
  return toReplyRow(row);
}

/**
 * Automatic replies to `recipient` in `states` created (or, for `sent`, sent) in the last
 * `sinceMs`. An organiser's decision notices are outside the limits, and do not use them up.
 */
async function countRecent(
  k: Kysely<Database>,
  recipient: string,
  sinceMs: number,
  now: number,
  states: ReplyState[],
): Promise<number> {
  const column = states.length === 1 && states[0] === 'sent' ? 'sent_at' : 'created_at';
  const row = await k
    .selectFrom('replies')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('recipient', '=', recipient)
    .where('state', 'in', states)
    .where('kind', 'not like', 'decision-%')
    .where(column, '>=', new Date(now - sinceMs).toISOString())
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The send job's check. Over the daily limit of replies sent to the address, the reply is
 * suppressed (a loop with a robot the guard missed stops there). Over the hourly limit it is
 * deferred, kept pending for the sweep to try again: an agency that sent six cases in an hour
 * gets the sixth answer an hour later, not never. The hour counts the replies sent in it and the
 * pending ones ahead of this one: a reply ahead goes from one to the other in one update, so
 * replies checked at the same moment by several workers cannot all slip under the limit.
 */
export async function sendLimit(
  db: Db,
  reply: { id: number; recipient: string },
  limits: { perHour: number; perDay: number },
  now = Date.now(),
): Promise<{ suppress: string } | { defer: string } | null> {
  if ((await countRecent(db.k, reply.recipient, DAY_MS, now, ['sent'])) >= limits.perDay)
    return { suppress: `rate-limit-day:${limits.perDay}` };
  const ahead = await db.k
    .selectFrom('replies')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('recipient', '=', reply.recipient)
    .where('state', '=', 'pending')
    .where('id', '<', reply.id)
    .where('kind', 'not like', 'decision-%')
    .executeTakeFirstOrThrow();
  const sentThisHour = await countRecent(db.k, reply.recipient, HOUR_MS, now, ['sent']);
  if (sentThisHour + Number(ahead.n) >= limits.perHour)
    return { defer: `rate-limit-hour:${limits.perHour}` };
  return null;
}

/**
 * Why an automatic reply is held back by the case's own course, not by anything of its sender's
 * (src/replies: a later decision reply must not inherit these).
 */
export const CASE_COURSE_REASONS = [
  'decided',
  'withdrawn',
  'superseded',
  'not-a-submission',
] as const;
export type CaseCourseReason = (typeof CASE_COURSE_REASONS)[number];

/**
 * Whether an automatic reply has been overtaken since it was planned, so that sending it now
 * could contradict what the applicant hears: an organiser's decision about its submission, or a
 * verdict an organiser set on its case after it was planned, notice or none, or a decision notice
 * to the same address about a later message of its case (`decided`); or an automatic reply to the
 * same address about a later message of its case (`superseded`), either pending or sent. A later
 * message whose own reply was suppressed (a robot, the daily limit) or goes elsewhere overtakes
 * nothing.
 */
export async function overtaken(
  db: Db,
  reply: { submissionId: number; recipient: string | null; createdAt: Date },
): Promise<Extract<CaseCourseReason, 'decided' | 'superseded'> | null> {
  const live = ['pending', 'sent'] as const;
  const decision = await db.k
    .selectFrom('replies')
    .select('id')
    .where('submission_id', '=', reply.submissionId)
    .where('kind', 'like', 'decision-%')
    .where('state', 'in', live)
    .executeTakeFirst();
  if (decision) return 'decided';
  const mine = await db.k
    .selectFrom('submissions')
    .select(['case_id', 'received_at', 'message_row_id'])
    .where('id', '=', reply.submissionId)
    .executeTakeFirst();
  if (!mine || mine.case_id === null) return null;
  const overridden = await db.k
    .selectFrom('audit_log')
    .select('id')
    .where('entity', '=', 'case')
    .where('entity_id', '=', mine.case_id)
    .where('action', '=', 'verdict_overridden')
    .where('at', '>', reply.createdAt.toISOString())
    .executeTakeFirst();
  if (overridden) return 'decided';
  if (!reply.recipient) return null;
  const later = (
    await db.k
      .selectFrom('replies as r')
      .innerJoin('submissions as s', 's.id', 'r.submission_id')
      .select(['s.received_at', 's.message_row_id', 'r.kind'])
      .where('s.case_id', '=', mine.case_id)
      .where('s.id', '!=', reply.submissionId)
      .where('r.recipient', '=', reply.recipient)
      .where('r.state', 'in', live)
      .execute()
  ).filter((o) => isLater(o, mine));
  // A later message's decision notice (an older message filed late, after it was sent).
  if (later.some((o) => o.kind.startsWith('decision-'))) return 'decided';
  return later.length > 0 ? 'superseded' : null;
}

/** A reply outside a filing (an organiser's decision): its own transaction, same rules. */
export function createReply(db: Db, submissionId: number, plan: PlannedReply): Promise<ReplyRow> {
  return inTransaction(db, (trx) => insertPlannedReply(trx, db.dialect, submissionId, plan));
}

export async function getReply(db: Db, id: number): Promise<ReplyRow | undefined> {
  const r = await db.k.selectFrom('replies').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toReplyRow(r);
}

export async function listRepliesForSubmission(db: Db, submissionId: number): Promise<ReplyRow[]> {
  const rows = await db.k
    .selectFrom('replies')
    .selectAll()
    .where('submission_id', '=', submissionId)
    .orderBy('id')
    .execute();
  return rows.map(toReplyRow);
}

/**
 * Takes the reply for one worker's send-reply job until `until` (ISO time), unless it is
 * settled or another worker's claim still runs. Returns whether it was taken.
 */
export async function claimReply(db: Db, id: number, now: string, until: string): Promise<boolean> {
  const r = await db.k
    .updateTable('replies')
    .set({ claimed_until: until })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Moves a claim from `held` to `until` (null: gives it up). False if the claim is no longer
 * `held`: it ran out and another worker took the reply.
 */
export async function moveReplyClaim(
  db: Db,
  id: number,
  held: string,
  until: string | null,
): Promise<boolean> {
  const r = await db.k
    .updateTable('replies')
    .set({ claimed_until: until })
    .where('id', '=', id)
    .where('claimed_until', '=', held)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Right before a send: counts the attempt and moves the claim on, if the reply is still pending
 * and the claim still `held`. Returns the attempt's number, or null.
 */
export async function countReplyAttempt(
  db: Db,
  id: number,
  held: string,
  until: string,
): Promise<number | null> {
  const r = await db.k
    .updateTable('replies')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), claimed_until: until }))
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where('claimed_until', '=', held)
    .returning('attempts')
    .executeTakeFirst();
  return r?.attempts ?? null;
}

export async function markReplySent(db: Db, id: number, messageId: string): Promise<void> {
  await db.k
    .updateTable('replies')
    .set({ state: 'sent', message_id: messageId, sent_at: nowIso(), last_error: null })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .execute();
}

/** Only a pending reply changes: a late job never turns `sent` back into something else. */
export async function markReplyFailed(db: Db, id: number, error: string): Promise<void> {
  await db.k
    .updateTable('replies')
    .set({ state: 'failed', last_error: error })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .execute();
}

export async function recordReplyError(db: Db, id: number, error: string): Promise<void> {
  await db.k.updateTable('replies').set({ last_error: error }).where('id', '=', id).execute();
}

export async function markReplySuppressed(db: Db, id: number, reason: string): Promise<void> {
  const at = nowIso();
  await inTransaction(db, async (trx) => {
    const r = await trx
      .updateTable('replies')
      .set({ state: 'suppressed', suppressed_reason: reason })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) await auditSuppressed(trx, id, reason, at);
  });
}

function auditSuppressed(k: Kysely<Database>, id: number, reason: string, at: string) {
  return writeAudit(
    k,
    { actor: 'system', entity: 'reply', entityId: id, action: 'suppressed', detail: { reason } },
    at,
  );
}
