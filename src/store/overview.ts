// The dashboard's overview counts: cases by status, submissions by verdict and per day,
// mailboxes' last poll, messages the IMAP server would not hand over, failed messages,
// suppressed and failed replies.
import type { Db } from './db.js';

export interface Overview {
  byStatus: Record<string, number>;
  byVerdict: Record<string, number>;
  /** Submissions (not duplicates) per Beijing-time day, oldest first. */
  perDay: { day: string; n: number }[];
  messages: Record<string, number>;
  mailboxes: {
    mailbox: string;
    lastPollAt: string | null;
    lastError: string | null;
    lastErrorAt: string | null;
  }[];
  replies: Record<string, number>;
  troubledReplies: {
    id: number;
    submissionId: number;
    state: string;
    recipient: string | null;
    reason: string | null;
    caseId: number | null;
  }[];
  failedMessages: { id: number; lastError: string | null; originalName: string | null }[];
  /**
   * Passed over by the poller (intake/poller.ts): still in the mailbox, not in the store; until
   * an organiser marks one dealt with.
   */
  unfetchedMessages: {
    id: number;
    mailbox: string;
    uid: number;
    receivedAt: string;
    size: number | null;
    error: string;
  }[];
}

const count = <K extends string>(rows: { k: K; n: unknown }[]) =>
  Object.fromEntries(rows.map((r) => [r.k, Number(r.n)])) as Record<string, number>;

export async function getOverview(db: Db, utcOffsetMinutes = 480): Promise<Overview> {
  const k = db.k;
  const byStatus = await k
    .selectFrom('cases')
    .select(['status as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy('status')
    .execute();
  const byVerdict = await k
    .selectFrom('submissions')
    .select(['verdict as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .where('duplicate_of', 'is', null)
    .groupBy('verdict')
    .execute();
  const messages = await k
    .selectFrom('messages')
    .select(['state as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy('state')
    .execute();
  const replies = await k
    .selectFrom('replies')
    .select(['state as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy('state')
    .execute();
  // Day bucketing in JS keeps SQL the same on SQLite and PostgreSQL; a campaign has thousands
  // of submissions at most.
  const times = await k
    .selectFrom('submissions')
    .select('received_at')
    .where('duplicate_of', 'is', null)
    .execute();
  const days = new Map<string, number>();
  for (const t of times) {
    const day = new Date(Date.parse(t.received_at) + utcOffsetMinutes * 60_000)
      .toISOString()
      .slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + 1);
  }
  const cursors = await k.selectFrom('mailbox_cursors').selectAll().orderBy('mailbox').execute();
  const replyRows = () =>
    k
      .selectFrom('replies')
      .leftJoin('submissions', 'submissions.id', 'replies.submission_id')
      .select([
        'replies.id',
        'replies.submission_id',
        'replies.state',
        'replies.recipient',
        'replies.suppressed_reason',
        'replies.last_error',
        'submissions.case_id',
      ])
      .orderBy('replies.id', 'desc')
      .limit(50);
  // A pending reply with an error is being retried (the relay down or refusing our login, the
  // hourly limit): the organiser should see it before the night is out, not after two days. Its
  // own list, so that an outage's many cannot push the replies that ended badly off the page.
  const troubled = [
    ...(await replyRows()
      .where('replies.state', '=', 'pending')
      .where('replies.last_error', 'is not', null)
      .execute()),
    ...(await replyRows().where('replies.state', 'in', ['suppressed', 'failed']).execute()),
  ];
  const failed = await k
    .selectFrom('messages')
    .select(['id', 'last_error', 'original_name'])
    .where('state', '=', 'failed')
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
  const unfetched = await k
    .selectFrom('unfetched_messages')
    .selectAll()
    .where('resolved_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
  return {
    byStatus: count(byStatus),
    byVerdict: count(byVerdict),
    perDay: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, n]) => ({ day, n })),
    messages: count(messages),
    replies: count(replies),
    mailboxes: cursors.map((c) => ({
      mailbox: c.mailbox,
      lastPollAt: c.last_poll_at,
      lastError: c.last_error,
      lastErrorAt: c.last_error_at,
    })),
    troubledReplies: troubled.map((r) => ({
      id: r.id,
      submissionId: r.submission_id,
      state: r.state,
      recipient: r.recipient,
      reason: r.suppressed_reason ?? r.last_error,
      caseId: r.case_id,
    })),
    failedMessages: failed.map((m) => ({
      id: m.id,
      lastError: m.last_error,
      originalName: m.original_name,
    })),
    unfetchedMessages: unfetched.map((m) => ({
      id: m.id,
      mailbox: m.mailbox,
      uid: m.uid,
      receivedAt: m.received_at,
      size: m.size,
      error: m.error,
    })),
  };
}
