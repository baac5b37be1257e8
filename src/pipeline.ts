// The `process` job: the stored raw message → the validation core → one transaction filing the
// case, submission, attachments and findings. Running it twice changes nothing the second time.
import type { ContestProfile } from './config/contest.js';
import type { Logger } from './log.js';
import { MAX_ATTEMPTS } from './queue/jobs.js';
import { isOutage } from './queue/outage.js';
import { UnrecoverableError } from './queue/queues.js';
import { planReply } from './replies/plan.js';
import type { BlobStore } from './store/blobs.js';
import type { Db } from './store/db.js';
import { getMessage, setMessageState } from './store/messages.js';
import { fileSubmission } from './store/submissions.js';
import { type StageTimings, validateMessage } from './validate.js';

/**
 * The validation core on a stored message, with every file of the submission (archive entries
 * too) kept as a blob so organisers can open it. The process job and `reprocess` share it.
 */
export function createEvaluator(deps: {
  blobs: BlobStore;
  profile: ContestProfile;
  ownAddresses?: string[];
}) {
  return async (
    stored: { sha256: string; receivedAt: Date },
    timings: StageTimings & { load?: number } = {},
  ) => {
    const started = Date.now();
    const raw = await deps.blobs.read(stored.sha256);
    timings.load = Date.now() - started;
    const validation = await validateMessage(raw, stored.receivedAt, deps.profile, {
      ownAddresses: deps.ownAddresses,
      timings,
    });
    for (const doc of validation.submission.documents) await deps.blobs.put(doc.entry.content);
    return validation;
  };
}

export function createPipeline(deps: {
  db: Db;
  blobs: BlobStore;
  profile: ContestProfile;
  log: Logger;
  ownAddresses?: string[];
  /** Enqueues a planned reply; without it the sweep sends pending replies later. */
  enqueueReply?: (replyId: number) => Promise<void>;
}) {
  const { db, profile, log } = deps;
  const evaluate = createEvaluator(deps);

  async function processMessage({ messageId }: { messageId: number }): Promise<void> {
    const msg = await getMessage(db, messageId);
    if (!msg) throw new UnrecoverableError(`message ${messageId} does not exist`);
    if (msg.state === 'processed' || msg.state === 'failed') return;
    if (msg.attempts >= MAX_ATTEMPTS) {
      await setMessageState(db, messageId, 'failed', msg.lastError ?? 'too many attempts');
      throw new UnrecoverableError(`message ${messageId} failed ${msg.attempts} times`);
    }
    await setMessageState(db, messageId, 'processing');
    const started = Date.now();
    try {
      const stages: StageTimings & { load?: number; store?: number } = {};
      const { result, submission } = await evaluate(
        { sha256: msg.sha256, receivedAt: msg.receivedAt },
        stages,
      );
      const storing = Date.now();
      const filed = await fileSubmission(
        db,
        {
          messageRowId: messageId,
          messageIdHeader: submission.mail.messageId,
          fromAddress: submission.mail.from?.address ?? null,
          result,
          attachments: result.attachments,
          caseNumberPrefix: profile.caseNumberPrefix,
        },
        {
          // The reply row commits with the filing (a crash in between would lose the reply).
          reply: (f) =>
            planReply({
              result,
              mail: submission.mail,
              filed: f,
              ownAddresses: deps.ownAddresses ?? [],
              profile,
            }),
        },
      );
      if (filed.reply?.state === 'pending' && deps.enqueueReply) {
        // Redis trouble here is not the filing's: the sweep re-enqueues pending replies.
        await deps
          .enqueueReply(filed.reply.id)
          .catch((err) =>
            log.warn(
              { err, messageId, replyId: filed.reply?.id },
              'reply not enqueued; the sweep will',
            ),
          );
      }
      log.info(
        {
          messageId,
          caseNo: filed.caseNo,
          verdict: result.verdict,
          ms: Date.now() - started,
          stages: { ...stages, store: Date.now() - storing },
        },
        filed.created ? 'submission filed' : 'submission was already filed',
      );
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      // A full disk or a busy/restarting database is not the message's fault: an outage
      // longer than the retries must not use up its attempts and mark good mail failed.
      await setMessageState(db, messageId, 'pending', String((err as Error).message ?? err), {
        refundAttempt: isOutage(err),
      }).catch(() => undefined);
      throw err;
    }
  }

  return { processMessage };
}
