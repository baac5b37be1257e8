// What a fault run came to, read from the store and the SMTP sink: for every message appended,
// how many submissions it became (1 is right; 0 is lost, 2+ doubled), whether it has the reply
// it should (one sent row and one copy at the sink, none for a robot), and whether anything is
// left unfinished.
//
// One second copy is the design's accepted cost, not a double: a worker killed after the SMTP
// server took a reply and before the store recorded it. No protocol can tell the resending
// worker that the 250 came (RFC 1047), so it sends again with the same Message-ID. It is counted
// as `resent` only when the run shows exactly that: the first copy at the sink before a kill
// (or within KILL_SLACK_MS after it, the time the sink may take to read what the process wrote
// before it died), the second copy and the `sent` record after that kill.
import type { Db } from '../../src/store/db.js';
import { sql } from '../../src/store/kysely.js';
import type { SinkMessage, SmtpSink } from '../../test/support/smtp-sink.js';
import type { FaultMessage } from './messages.js';

export interface Outcome {
  filed: number;
  lost: number;
  doubled: number;
  repliesMissing: number;
  repliesDoubled: number;
  /** Replies sent once more because their worker was killed between the 250 and the record. */
  resent: number;
  /** Message rows pending/processing/failed and reply rows pending/failed. */
  stuck: number;
  /** Per message: filed once and answered as it should be. */
  done: Set<string>;
  problems: string[];
}

interface SubmissionRow {
  id: number;
  header: string | null;
}
interface ReplyRow {
  submission: number;
  state: string;
  message_id: string | null;
  sent_at: string | null;
}

const KILL_SLACK_MS = 1_000;

/** Two copies of one reply, explained by a worker SIGKILL between them (see the top). */
export function resentAfterKill(copies: SinkMessage[], row: ReplyRow, kills: number[]): boolean {
  const [first, second] = copies;
  if (copies.length !== 2 || !first || !second || !row.sent_at) return false;
  const recorded = Date.parse(row.sent_at);
  return kills.some((k) => first.at <= k + KILL_SLACK_MS && second.at >= k && recorded >= k);
}

export interface OutcomeOptions {
  /** Messages whose replies may be at the sink but which are not counted (the probe). */
  aside?: FaultMessage[];
  /** When workers were SIGKILLed (Date.now()). */
  kills?: number[];
}

export async function outcome(
  db: Db,
  sink: SmtpSink,
  messages: FaultMessage[],
  { aside = [], kills = [] }: OutcomeOptions = {},
): Promise<Outcome> {
  const subs = (
    await sql<SubmissionRow>`select id, message_id_header as header from submissions`.execute(db.k)
  ).rows;
  const replies = (
    await sql<ReplyRow>`select submission_id as submission, state, message_id, sent_at from replies`.execute(
      db.k,
    )
  ).rows;
  const unfinished = (
    await sql<{ n: number | string }>`
      select (select count(*) from messages where state in ('pending', 'processing', 'failed'))
           + (select count(*) from replies where state in ('pending', 'failed')) as n`.execute(db.k)
  ).rows[0];
  const atSink = sink.byMessageId();
  const byHeader = new Map<string, number[]>();
  for (const s of subs) {
    const list = byHeader.get(s.header ?? '') ?? [];
    list.push(Number(s.id));
    byHeader.set(s.header ?? '', list);
  }
  const repliesOf = new Map<number, ReplyRow[]>();
  for (const r of replies) {
    const list = repliesOf.get(Number(r.submission)) ?? [];
    list.push(r);
    repliesOf.set(Number(r.submission), list);
  }

  const o: Outcome = {
    filed: 0,
    lost: 0,
    doubled: 0,
    repliesMissing: 0,
    repliesDoubled: 0,
    resent: 0,
    stuck: Number(unfinished?.n ?? 0),
    done: new Set(),
    problems: [],
  };
  const expectedReplyIds = new Set<string>();
  for (const m of messages) {
    const ids = byHeader.get(m.messageId) ?? [];
    if (ids.length === 0) {
      o.lost++;
      o.problems.push(`${m.messageId}: not filed`);
      continue;
    }
    o.filed++;
    if (ids.length > 1) {
      o.doubled++;
      o.problems.push(`${m.messageId}: filed ${ids.length} times`);
    }
    const rows = ids.flatMap((id) => repliesOf.get(id) ?? []);
    const answering = rows.filter((r) => r.state !== 'suppressed');
    const sent = rows.filter((r) => r.state === 'sent' && r.message_id);
    let copies = 0;
    let resent = 0;
    for (const r of sent) {
      const atSinkOf = atSink.get(r.message_id ?? '') ?? [];
      copies += atSinkOf.length;
      if (resentAfterKill(atSinkOf, r, kills)) resent++;
      expectedReplyIds.add(r.message_id ?? '');
    }
    o.resent += resent;
    const extra =
      Math.max(0, answering.length - m.replies) + Math.max(0, copies - resent - sent.length);
    if (extra > 0) {
      o.repliesDoubled += extra;
      o.problems.push(
        `${m.messageId}: ${answering.length} reply rows, ${copies} copies at the sink`,
      );
    }
    const answered = m.replies === 0 || (sent.length >= 1 && copies >= 1);
    if (!answered) {
      o.repliesMissing++;
      o.problems.push(
        `${m.messageId}: reply ${rows.map((r) => r.state).join(',') || 'never planned'}`,
      );
    }
    if (ids.length === 1 && extra === 0 && answered) o.done.add(m.messageId);
  }
  for (const m of aside) {
    for (const id of byHeader.get(m.messageId) ?? []) {
      for (const r of repliesOf.get(id) ?? []) expectedReplyIds.add(r.message_id ?? '');
    }
  }
  // Anything at the sink that answers none of these messages (a robot answered, say).
  for (const [id, copies] of atSink) {
    if (!expectedReplyIds.has(id)) {
      o.repliesDoubled += copies.length;
      o.problems.push(`${id}: at the sink but answers no message that should be answered`);
    }
  }
  return o;
}
