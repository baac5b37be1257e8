// The reply after an organiser overrides a verdict on the dashboard. Calling again for the
// decision last announced changes nothing and sends nothing twice; a different decision gets its
// own reply, and so does a return to an earlier one (accepted, rejected, accepted again: three
// notices, the third `decision-accepted-2`, since a row's kind is unique per submission). The
// organiser's reason is kept in the audit log and read back when the reply is rendered.
import { recipientGuardReason } from '../mail/reply-guard.js';
import type { Queues } from '../queue/queues.js';
import { listAudit, writeAudit } from '../store/audit.js';
import { type Db, inTransaction, nowIso, StoreError } from '../store/db.js';
import {
  CASE_COURSE_REASONS,
  insertPlannedReply,
  listRepliesForSubmission,
  type ReplyRow,
} from '../store/replies.js';
import { getSubmission } from '../store/submissions.js';

export const DECISION_VERDICTS = ['accepted', 'rejected', 'needs_review'] as const;
export type DecisionVerdict = (typeof DECISION_VERDICTS)[number];

const DECISION_KIND = /^decision-(accepted|rejected|needs_review)(?:-\d+)?$/;

/**
 * Why an earlier reply was held back that says nothing of the sender: a limit, or the case's own
 * course (decided, withdrawn, overtaken, no submission). An organiser's decision is sent regardless.
 */
const notTheSenders = (reason: string) =>
  reason.startsWith('rate-limit') || (CASE_COURSE_REASONS as readonly string[]).includes(reason);

/** The verdict a decision reply announces (`decision-accepted`, `decision-accepted-2`), or null. */
export function decisionVerdictOf(kind: string): DecisionVerdict | null {
  return (DECISION_KIND.exec(kind)?.[1] as DecisionVerdict | undefined) ?? null;
}

export interface DecisionReplyInput {
  submissionId: number;
  verdict: DecisionVerdict;
  /** Shown to the applicant as 说明; may be empty. */
  reason: string;
  /** Who decided, for the audit log (default `system`). */
  actor?: string;
  /** REPLY_FROM and other own addresses: never answered. */
  ownAddresses?: string[];
}

/**
 * Creates (idempotently) the `decision-<verdict>` reply row and enqueues it. If Redis is down
 * the row stays pending and the sweep sends it later. Throws StoreError `SubmissionNotFound`.
 */
export async function queueDecisionReply(
  db: Db,
  queues: Pick<Queues, 'enqueueReply'>,
  input: DecisionReplyInput,
): Promise<ReplyRow> {
  const submission = await getSubmission(db, input.submissionId);
  if (!submission) {
    throw new StoreError('SubmissionNotFound', `no submission ${input.submissionId}`);
  }
  const earlier = await listRepliesForSubmission(db, submission.id);
  const decisions = earlier.filter((r) => decisionVerdictOf(r.kind) !== null);
  const latest = decisions.at(-1);
  if (latest && decisionVerdictOf(latest.kind) === input.verdict) return latest;
  const before = decisions.filter((r) => decisionVerdictOf(r.kind) === input.verdict).length;
  const kind = `decision-${input.verdict}${before ? `-${before + 1}` : ''}`;
  // The automatic reply's recipient already honoured Reply-To; the bare From is the fallback.
  const recipient = earlier.find((r) => r.recipient)?.recipient ?? submission.fromAddress;
  // The automatic reply's guard saw the whole message (robot headers, a forged From) and the
  // row keeps what it found; that still holds for this reply. Reasons of the case's own do not: a
  // decision that overtook the automatic reply would otherwise hold back the next decision too.
  const fromMessage = earlier.map((r) => r.suppressedReason).find((r) => r && !notTheSenders(r));
  const reason =
    submission.duplicateOf !== null
      ? 'duplicate'
      : submission.kind === 'auto_reply'
        ? 'auto-reply'
        : (fromMessage ?? recipientGuardReason(recipient, input.ownAddresses ?? []));
  // Row and reason commit together: the sweep may send the row the moment it exists.
  const row = await inTransaction(db, async (trx) => {
    const created = await insertPlannedReply(trx, db.dialect, submission.id, {
      kind,
      recipient,
      suppressedReason: reason,
    });
    await writeAudit(
      trx,
      {
        actor: input.actor ?? 'system',
        entity: 'reply',
        entityId: created.id,
        action: 'decision',
        detail: { verdict: input.verdict, reason: input.reason },
      },
      nowIso(),
    );
    return created;
  });
  // Redis down (the enqueue gives up after a few seconds): the row is pending, the sweep sends it.
  if (row.state === 'pending') await queues.enqueueReply(row.id).catch(() => undefined);
  return row;
}

/** The organiser's reason recorded with a decision reply, if any. */
export async function decisionReason(db: Db, replyId: number): Promise<string | null> {
  const entries = await listAudit(db, 'reply', replyId);
  const last = entries.filter((e) => e.action === 'decision').at(-1);
  const reason = last?.detail?.reason;
  return typeof reason === 'string' ? reason : null;
}
