// The `process` job: the stored raw message → the validation core → one transaction filing the
// case, submission, attachments and findings. Running it twice changes nothing the second time.
import type { ContestProfile } from './config/contest.js';
import { evaluateHere } from './evaluate-pool.js';
import type { EvalTimings, Evaluate, EvaluatorDeps } from './evaluator.js';
import type { Logger } from './log.js';
import { MAX_ATTEMPTS } from './queue/jobs.js';
import { isOutage } from './queue/outage.js';
import { UnrecoverableError } from './queue/queues.js';
import { planReply } from './replies/plan.js';
import type { BlobStore } from './store/blobs.js';
import type { Db } from './store/db.js';
import { getMessage, setMessageState } from './store/messages.js';
import { fileSubmission } from './store/submissions.js';

export function createPipeline(deps: {
  db: Db;
  blobs: BlobStore;
  profile: ContestProfile;
  log: Logger;
  ownAddresses?: string[];
  /** Enqueues a planned reply; without it the sweep sends pending replies later. */
  enqueueReply?: (replyId: number) => Promise<void>;
  /** Evaluates off the main thread (src/evaluate-pool.ts); in-process when absent. */
  evaluate?: Evaluate;
}) {
  const { db, profile, log } = deps;
  const evaluate = deps.evaluate ?? inProcess(deps);

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
      const stages: EvalTimings & { store?: number } = {};
      const { result, mail, threadId, loop } = await evaluate(
        { sha256: msg.sha256, receivedAt: msg.receivedAt, receivedAtSource: msg.receivedAtSource },
        stages,
      );
      const storing = Date.now();
      const filed = await fileSubmission(
        db,
        {
          messageRowId: messageId,
          messageIdHeader: mail.messageId,
          fromAddress: mail.from?.address ?? null,
          result,
          attachments: result.attachments,
          caseNumberPrefix: profile.caseNumberPrefix,
        },
        {
          // The reply row commits with the filing (a crash in between would lose the reply).
          reply: (f) =>
            planReply({
              result,
              mail,
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
          thread: threadId,
          loop,
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

/** Evaluates in this thread (the service's pool never needs to). */
function inProcess(deps: EvaluatorDeps): Evaluate {
  const evaluate = evaluateHere(deps);
  return async (stored, timings) => {
    const { result, submission } = await evaluate(stored, timings);
    return { result, mail: submission.mail, threadId: 0 };
  };
}
