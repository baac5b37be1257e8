// The `process` job: the stored raw message → the validation core → one transaction filing the
// case, submission, attachments and findings. Running it twice changes nothing the second time.
import type { ContestProfile } from './config/contest.js';
import type { Logger } from './log.js';
import { MAX_ATTEMPTS } from './queue/jobs.js';
import { UnrecoverableError } from './queue/queues.js';
import { planReply } from './replies/plan.js';
import type { BlobStore } from './store/blobs.js';
import { fileSubmission } from './store/submissions.js';
import type { Db } from './store/db.js';
import { getMessage, setMessageState } from './store/messages.js';
import { validateMessage } from './validate.js';

export function createPipeline(deps: {
  db: Db;
  blobs: BlobStore;
  profile: ContestProfile;
  log: Logger;
  ownAddresses?: string[];
  /** Enqueues a planned reply; without it the sweep sends pending replies later. */
  enqueueReply?: (replyId: number) => Promise<void>;
}) {
  const { db, blobs, profile, log } = deps;

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
      const raw = await blobs.read(msg.sha256);
      const { result, submission } = await validateMessage(raw, msg.receivedAt, profile, {
        ownAddresses: deps.ownAddresses,
      });
      // Every file of the submission is kept (archive entries too) so organisers can open it.
      const attachments = [];
      for (const [i, doc] of submission.documents.entries()) {
        await blobs.put(doc.entry.content);
        const shown = result.attachments[i];
        attachments.push({
          filename: doc.entry.filename,
          detectedType: doc.detectedType,
          role: shown?.role ?? submission.roles.get(doc) ?? 'other',
          bytes: doc.entry.bytes,
          sha256: doc.entry.sha256,
          insideArchive: doc.entry.insideArchive,
        });
      }
      const filed = await fileSubmission(
        db,
        {
          messageRowId: messageId,
          messageIdHeader: submission.mail.messageId,
          fromAddress: submission.mail.from?.address ?? null,
          result,
          attachments,
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
        { messageId, caseNo: filed.caseNo, verdict: result.verdict, ms: Date.now() - started },
        filed.created ? 'submission filed' : 'submission was already filed',
      );
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      await setMessageState(db, messageId, 'pending', String((err as Error).message ?? err)).catch(
        () => undefined,
      );
      throw err;
    }
  }

  return { processMessage };
}
