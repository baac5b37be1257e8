// Which reply a filed submission gets (DESIGN.md §2): acknowledgement, rejection, late notice,
// "under review", or an update for a resubmission. A not-submission gets nothing and no row:
// robots must never be answered and organisers answer questions by hand (the submission row
// already says `inquiry`/`auto_reply`). A duplicate gets a `suppressed` row saying so.
import type { ContestProfile } from '../config/contest.js';
import { mailGuardReason, replyRecipient } from '../mail/reply-guard.js';
import type { PlannedReply } from '../store/replies.js';
import type { CheckResult, ParsedMail } from '../types.js';
import type { ReplyKind } from './templates.js';

export function replyKindFor(
  result: CheckResult,
  filed: { supersedes: number | null },
): ReplyKind | null {
  if (result.verdict === 'not_submission') return null;
  if (result.verdict === 'rejected') {
    // Only a certain LATE: one on an estimated receive time is for a person to judge.
    const late = result.findings.some(
      (f) => f.rule === 'LATE' && !f.passed && f.severity === 'error',
    );
    return late ? 'late' : 'rejection';
  }
  // A rejected resubmission above still gets the full rejection: what to fix matters most.
  if (filed.supersedes !== null) return 'update';
  return result.verdict === 'accepted' ? 'ack' : 'review';
}

export function planReply(input: {
  result: CheckResult;
  mail: ParsedMail;
  filed: { duplicateOf: number | null; supersedes: number | null };
  ownAddresses: string[];
  profile: ContestProfile;
}): PlannedReply | null {
  const kind = replyKindFor(input.result, input.filed);
  if (!kind) return null;
  // An older message filed after a newer one of its case (a retry, a backfill, two workers) is
  // planned as if it had come first: the send job holds it back (`overtaken`) when the newer one's
  // answer goes to the same address, and only then. Its sender may be a colleague who has had no
  // answer at all.
  const suppressedReason =
    input.filed.duplicateOf !== null
      ? 'duplicate'
      : mailGuardReason(input.mail, input.ownAddresses);
  return {
    kind,
    recipient: replyRecipient(input.mail),
    suppressedReason,
    limits: {
      perHour: input.profile.replies.perRecipientPerHour,
      perDay: input.profile.replies.perRecipientPerDay,
    },
  };
}
