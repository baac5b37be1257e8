// Builds the `send-reply` handler from the environment, for app.ts: the templates (checked at
// start-up), the sender (SMTP or DATA_DIR/outbox/) and our own addresses for the guard.
import path from 'node:path';
import type { ContestProfile } from '../config/contest.js';
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import { bareAddress } from '../mail/reply-guard.js';
import { createSender } from '../mail/send.js';
import type { Db } from '../store/db.js';
import { createReplyJob, type ReplyJobDeps } from './send-job.js';
import { loadTemplates } from './templates.js';

/** REPLY_FROM, or for the outbox mode (no SMTP) a placeholder that names no real mailbox. */
export const DEFAULT_OUTBOX_FROM = 'case-intake@localhost';

/** The addresses never answered: REPLY_FROM (bare) and the outbox default. */
export function ownAddresses(env: Pick<Env, 'replyFrom'>): string[] {
  return [bareAddress(env.replyFrom ?? DEFAULT_OUTBOX_FROM)];
}

export function createReplyHandler(
  env: Env,
  deps: {
    db: Db;
    profile: ContestProfile;
    log: Logger;
    holdReplies?: ReplyJobDeps['holdReplies'];
  },
) {
  const templates = loadTemplates();
  const sender = createSender(env.smtp, { outboxDir: path.join(env.dataDir, 'outbox') });
  const job = createReplyJob({
    db: deps.db,
    profile: deps.profile,
    templates,
    sender,
    from: env.replyFrom ?? DEFAULT_OUTBOX_FROM,
    ownAddresses: ownAddresses(env),
    log: deps.log,
    holdReplies: deps.holdReplies,
  });
  return { sendReply: job.sendReply, close: () => sender.close() };
}
