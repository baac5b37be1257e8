// The `send-reply` job: one reply row → claim → guard re-check → compose → SMTP or outbox →
// `sent`. Idempotent: a row that is not pending is done, and one claimed by another worker is
// that worker's (BullMQ can hand a job whose lock it lost to a second worker while the first
// still sends). A worker killed after the server accepted the message but before `sent` was
// recorded leaves a claim that runs out; the reply then goes once more with the same Message-ID
// (the accepted cost: at most one extra copy, never a lost reply).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContestProfile } from '../config/contest.js';
import type { Logger } from '../log.js';
import { composeReply } from '../mail/compose.js';
import { classifyDeliveryError } from '../mail/delivery-error.js';
import { recipientGuardReason } from '../mail/reply-guard.js';
import type { Sender } from '../mail/send.js';
import { isOutage } from '../queue/outage.js';
import { UnrecoverableError } from '../queue/queues.js';
import { getCase } from '../store/cases.js';
import type { Db } from '../store/db.js';
import {
  type CaseCourseReason,
  claimReply,
  countReplyAttempt,
  getReply,
  markReplyFailed,
  markReplySent,
  markReplySuppressed,
  moveReplyClaim,
  overtaken,
  type ReplyRow,
  recordReplyError,
  sendLimit,
} from '../store/replies.js';
import { getSubmission } from '../store/submissions.js';
import { type ReplyFacts, replyValues } from './content.js';
import { decisionReason, decisionVerdictOf } from './decision.js';
import { replyKindFor } from './plan.js';
import { REPLY_KINDS, type ReplyKind, type Templates } from './templates.js';

/** How long a delivered reply's `sent` is retried through an outage before the job gives up. */
const RECORD_FOR_MS = 10 * 60_000;

async function untilRecorded(record: () => Promise<void>, log: Logger, replyId: number) {
  const started = Date.now();
  for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await record();
    } catch (err) {
      if (!isOutage(err) || Date.now() - started > RECORD_FOR_MS) throw err;
      log.warn({ err, replyId }, 'reply delivered but not yet recorded; retrying the record');
      await sleep(wait);
    }
  }
}

/**
 * How long a claim lasts unless its worker renews it (every third of this while the job runs):
 * after a crash, the reply waits this long, then the sweep's next job sends it. Workers on
 * several machines compare their clocks through it: they must keep them in step (NTP).
 */
const CLAIM_MS = 30_000;

/** Transient failures are retried (BullMQ backoff, then the sweep) until a reply is this old. */
const GIVE_UP_AFTER_MS = 2 * 24 * 3_600_000;

export interface ReplyJobDeps {
  db: Db;
  profile: ContestProfile;
  templates: Templates;
  sender: Sender;
  /** REPLY_FROM (or the outbox default). */
  from: string;
  ownAddresses: string[];
  log: Logger;
  now?: () => Date;
  /**
   * Holds every reply back for `ms`, on every worker, this one included (it goes back to wait,
   * not counted as a failed attempt); throws. Without it, each reply retries on its own.
   */
  holdReplies?: (ms: number) => Promise<never>;
}

/**
 * How long every reply waits after the relay failed us, doubling while it keeps failing: up to
 * 5 minutes while it refuses us (each try is a login its lockout counts), up to 30 s while it
 * cannot be reached (a try costs it nothing, and the replies go out soon after it is back).
 */
const RELAY_WAIT_MS = { min: 5_000, refused: 5 * 60_000, unreachable: 30_000 };

export function createReplyJob(deps: ReplyJobDeps) {
  const { db, log } = deps;
  const now = deps.now ?? (() => new Date());
  const relay = relayGate(deps.holdReplies);

  async function sendReply({ replyId }: { replyId: number }): Promise<void> {
    const claim = await claimFor(replyId);
    if (!claim) {
      const row = await getReply(db, replyId);
      if (!row) throw new UnrecoverableError(`reply ${replyId} does not exist`);
      if (row.state === 'pending') log.info({ replyId }, 'reply claimed by another worker');
      return;
    }
    try {
      await sendClaimed(replyId, claim);
    } finally {
      await claim.release();
    }
  }

  /** Claims the reply if it is pending and nobody else's, and renews the claim until released. */
  async function claimFor(replyId: number) {
    const until = () => new Date(now().getTime() + CLAIM_MS).toISOString();
    let held = until();
    if (!(await claimReply(db, replyId, now().toISOString(), held))) return null;
    // One update of the claim at a time, so that a release never races a renewal.
    let last: Promise<unknown> = Promise.resolve();
    const inTurn = <T>(update: () => Promise<T>): Promise<T> => {
      const next = last.then(update);
      last = next.catch(() => undefined);
      return next;
    };
    const renew = setInterval(() => {
      inTurn(async () => {
        const next = until();
        if (await moveReplyClaim(db, replyId, held, next)) held = next;
        else log.warn({ replyId }, 'claim on the reply lost while working on it');
      }).catch((err) => log.warn({ err, replyId }, 'claim on the reply not renewed'));
    }, CLAIM_MS / 3);
    return {
      /** Renews the claim and counts an attempt, right before the send: null if the claim was lost. */
      attempt: () =>
        inTurn(async () => {
          const next = until();
          const attempts = await countReplyAttempt(db, replyId, held, next);
          if (attempts !== null) held = next;
          return attempts;
        }),
      release: async () => {
        clearInterval(renew);
        await inTurn(() => moveReplyClaim(db, replyId, held, null)).catch((err) =>
          log.warn({ err, replyId }, 'claim on the reply not given up; it runs out'),
        );
      },
    };
  }

  async function sendClaimed(
    replyId: number,
    claim: { attempt(): Promise<number | null> },
  ): Promise<void> {
    const row = await getReply(db, replyId);
    if (!row) throw new UnrecoverableError(`reply ${replyId} does not exist`);
    if (row.state !== 'pending') return;
    // A missing submission or a broken template does not heal on retry: show it as failed.
    const failForGood = async (err: unknown): Promise<never> => {
      if (err instanceof UnrecoverableError) await markReplyFailed(db, replyId, err.message);
      throw err;
    };
    const facts = await loadFacts(row).catch(failForGood);
    const guard = facts.stale ? { suppress: facts.stale } : await guardAtSend(row);
    if (guard && 'suppress' in guard) {
      await markReplySuppressed(db, replyId, guard.suppress);
      log.info({ replyId, reason: guard.suppress }, 'reply suppressed');
      return;
    }
    if (guard) {
      // Still pending: the sweep enqueues it again every minute until the hour allows it.
      if (row.lastError !== `deferred: ${guard.defer}`) {
        await recordReplyError(db, replyId, `deferred: ${guard.defer}`);
        log.info({ replyId, reason: guard.defer }, 'reply deferred by the hourly limit');
      }
      return;
    }
    if (facts.kind !== row.kind && facts.kind !== 'decision') {
      log.info(
        { replyId, planned: row.kind, kind: facts.kind },
        'reply follows the result as reprocessed',
      );
    }
    const reply = await compose(row, facts).catch(failForGood);
    const trying = await relay.enter();
    try {
      // A worker that stalled past its claim (a paused machine) leaves the reply to the new holder.
      const attempts = await claim.attempt();
      if (attempts === null) {
        log.warn(
          { replyId },
          'reply claimed by another worker or settled meanwhile; not sent here',
        );
        return;
      }
      try {
        await deps.sender.deliver(reply);
      } catch (err) {
        const d = classifyDeliveryError(err);
        const tooOld = now().getTime() - row.createdAt.getTime() > GIVE_UP_AFTER_MS;
        if (!d.relay) relay.answered();
        if (d.permanent || tooOld) {
          await markReplyFailed(db, replyId, d.message);
          log.error({ replyId, code: d.code, attempts }, 'reply failed for good');
          throw new UnrecoverableError(d.message);
        }
        await recordReplyError(db, replyId, d.message);
        if (d.relay) {
          const refused = d.code.startsWith('SMTP');
          await relay.failed(log, refused, { replyId, code: d.code, attempts });
        }
        log.warn({ replyId, code: d.code, attempts }, 'reply not delivered; will retry');
        throw err;
      }
      relay.answered();
    } finally {
      if (trying) relay.leave();
    }
    // The server has the reply now. If recording that fails on an outage (database busy or
    // restarting, disk full), failing the job would deliver a second copy on its retry: keep
    // trying to record instead.
    await untilRecorded(() => markReplySent(db, replyId, reply.messageId), log, replyId);
    log.info({ replyId, kind: facts.kind, messageId: reply.messageId }, 'reply sent');
  }

  /** Addresses and limits may have changed since planning (REPLY_FROM, a burst of replies). */
  async function guardAtSend(row: ReplyRow) {
    const address = recipientGuardReason(row.recipient, deps.ownAddresses);
    if (address || !row.recipient) return { suppress: address ?? 'no-recipient' };
    // An organiser's decision is not a loop risk; the limits are for automatic replies.
    if (row.kind.startsWith('decision')) return null;
    const { perRecipientPerHour: perHour, perRecipientPerDay: perDay } = deps.profile.replies;
    return sendLimit(
      db,
      { id: row.id, recipient: row.recipient },
      { perHour, perDay },
      now().getTime(),
    );
  }

  async function compose(row: ReplyRow, facts: ReplyFacts & { originalMessageId: string | null }) {
    let content: { subject: string; text: string; html: string };
    try {
      content = deps.templates.render(
        facts.kind,
        replyValues(facts, deps.profile, deps.templates, now()),
      );
    } catch (err) {
      throw new UnrecoverableError(`reply ${row.id}: template: ${(err as Error).message}`);
    }
    return composeReply({
      submissionId: row.submissionId,
      kind: row.kind,
      from: deps.from,
      to: row.recipient ?? '',
      originalMessageId: facts.originalMessageId,
      content,
      date: now(),
    });
  }

  /**
   * What the reply says, from the submission as it is now. Since the reply was planned, a
   * reprocess may have changed the verdict (the letter follows the new one: a rejection with
   * nothing left to fix would say nothing); or the reply was overtaken (`stale`: it is not sent):
   * the case was withdrawn, the result is no submission any more, an organiser decided, or a
   * later message of the case has a reply of its own (`overtaken`). An organiser's decision is
   * sent as decided.
   */
  async function loadFacts(
    row: ReplyRow,
  ): Promise<ReplyFacts & { originalMessageId: string | null; stale: CaseCourseReason | null }> {
    const submission = await getSubmission(db, row.submissionId);
    if (!submission)
      throw new UnrecoverableError(`reply ${row.id}: submission ${row.submissionId} is gone`);
    const kase = submission.caseId === null ? undefined : await getCase(db, submission.caseId);
    const verdict = decisionVerdictOf(row.kind);
    const decision = verdict
      ? {
          verdict,
          reason: (await decisionReason(db, row.id)) ?? kase?.overrideReason ?? null,
        }
      : null;
    const previousId = submission.result.findings.find((f) => f.rule === 'RESUBMISSION')?.details
      .supersededSubmissionId;
    const current = decision
      ? 'decision'
      : replyKindFor(submission.result, {
          supersedes: typeof previousId === 'number' ? previousId : null,
        });
    const kind = (current ?? row.kind) as ReplyKind;
    if (!REPLY_KINDS.includes(kind))
      throw new UnrecoverableError(`reply ${row.id}: unknown kind ${row.kind}`);
    const stale = decision
      ? null
      : kase?.status === 'withdrawn'
        ? 'withdrawn'
        : current === null
          ? 'not-a-submission'
          : await overtaken(db, {
              submissionId: submission.id,
              recipient: row.recipient,
              createdAt: row.createdAt,
            });
    const previous =
      typeof previousId === 'number' ? await getSubmission(db, previousId) : undefined;
    return {
      kind,
      caseNo: kase?.caseNo ?? null,
      organization: kase?.organization ?? submission.result.subject.organization ?? '',
      title: kase?.title ?? submission.result.subject.title ?? '',
      receivedAt: submission.receivedAt,
      result: submission.result,
      previous: previous ? { receivedAt: previous.receivedAt, result: previous.result } : null,
      decision,
      originalMessageId: submission.messageIdHeader,
      stale,
    };
  }

  return { sendReply };
}

/**
 * One wait for every reply while the mail relay fails us (unreachable, our login or sender
 * refused), then one reply of each process tries it again: not each reply's own retries at the
 * relay (a hundred logins a minute would trip its lockout, and keep it tripped once the password
 * is put right). The wait doubles while the relay keeps failing; any answer about a reply ends
 * it. Without `hold`, each reply retries on its own.
 */
function relayGate(hold: ReplyJobDeps['holdReplies']) {
  let waitMs = 0;
  let until = 0;
  let trying = false;
  return {
    /**
     * Before a send, once the relay has failed us: holds this reply back while another of this
     * process tries the relay. True when this reply is the one trying it (then `leave` after).
     * (A reply only comes here once the wait kept in Redis is over: BullMQ hands out none
     * before; another process's wait may end another way, and is not reimposed here.)
     */
    async enter(): Promise<boolean> {
      if (!hold || waitMs === 0) return false;
      if (trying) return hold(RELAY_WAIT_MS.min);
      trying = true;
      return true;
    },
    leave() {
      trying = false;
    },
    /** The relay said something about a reply (sent it, or refused that reply): it works. */
    answered() {
      waitMs = 0;
    },
    /** The relay failed us: every reply waits (this one too: it goes back to wait). */
    async failed(log: Logger, refused: boolean, fields: object): Promise<void> {
      if (!hold) return;
      // Replies that were under way when a wait began do not lengthen it.
      if (Date.now() >= until) {
        const most = refused ? RELAY_WAIT_MS.refused : RELAY_WAIT_MS.unreachable;
        waitMs = Math.min(waitMs * 2 || RELAY_WAIT_MS.min, most);
        until = Date.now() + waitMs;
        log.warn({ ...fields, waitMs }, 'the mail relay failed us; every reply waits');
      }
      // Redis refuses a zero expiry; BullMQ would then count this as a failed attempt.
      return hold(Math.max(until - Date.now(), 100));
    },
  };
}
