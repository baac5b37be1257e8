// Filing a validated message (the `process` job's write): submission, findings, attachments,
// case, audit and the message's `processed` mark commit together or not at all.
import type { Finding } from '../types.js';
import { fileIntoCase } from './case-filing.js';
import { type Db, type Dialect, inTransaction, nowIso, StoreError } from './db.js';
import { type Kysely, type Selectable, sql } from './kysely.js';
import { insertPlannedReply, type PlannedReply, type ReplyRow } from './replies.js';
import type { Database, MessageTable, SubmissionTable } from './schema.js';
import {
  type Ctx,
  type FileSubmissionInput,
  type FileSubmissionResult,
  insertSubmission,
} from './submission-rows.js';

export type {
  FileSubmissionInput,
  FileSubmissionResult,
  SubmissionRow,
} from './submission-rows.js';
export { getSubmission, getSubmissionByMessage } from './submission-rows.js';

export interface FileSubmissionOptions {
  /**
   * Decides the reply once the filing is known (kind depends on `supersedes`/`duplicateOf`).
   * Its row is written in the same transaction: a crash between filing and planning would
   * otherwise lose the reply, since a processed message is never processed again.
   */
  reply?: (filed: FileSubmissionResult) => PlannedReply | null;
}

export async function fileSubmission(
  db: Db,
  input: FileSubmissionInput,
  options: FileSubmissionOptions = {},
): Promise<FileSubmissionResult & { reply?: ReplyRow | null }> {
  return inTransaction(db, async (trx) => {
    const filed = await fileInTransaction(db, trx, input);
    if (!filed.created || !options.reply) return filed;
    const plan = options.reply(filed);
    const reply = plan ? await insertPlannedReply(trx, db.dialect, filed.submissionId, plan) : null;
    return { ...filed, reply };
  });
}

async function fileInTransaction(
  db: Db,
  trx: Kysely<Database>,
  input: FileSubmissionInput,
): Promise<FileSubmissionResult> {
  const message = await lockMessage(trx, db.dialect, input.messageRowId);
  const prior = await trx
    .selectFrom('submissions')
    .selectAll()
    .where('message_row_id', '=', message.id)
    .executeTakeFirst();
  if (prior) return describeExisting(trx, prior);

  const ctx: Ctx = { trx, dialect: db.dialect, input, message, at: nowIso() };
  // Two byte-identical messages filed at once (a sender's retry, a backlog) would each find no
  // processed original: on PostgreSQL they take turns on their hash, and the second sees the
  // first's commit. SQLite's writers take turns already.
  if (db.dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(${SAME_BYTES_LOCK}, hashtext(${message.sha256}))`.execute(
      trx,
    );
    // So do two deliveries of one message (the same Message-ID, other bytes): see findOriginal.
    if (input.messageIdHeader)
      await sql`select pg_advisory_xact_lock(${SAME_MESSAGE_LOCK}, hashtext(${input.messageIdHeader}))`.execute(
        trx,
      );
  }
  const original = await findOriginal(trx, message, input);
  if (original) return fileDuplicate(ctx, original);
  if (input.result.verdict === 'not_submission') {
    const submissionId = await insertSubmission(
      ctx,
      { caseId: null, duplicateOf: null, supersededBy: null },
      [],
    );
    return {
      submissionId,
      caseId: null,
      caseNo: null,
      duplicateOf: null,
      supersedes: null,
      supersededBy: null,
      created: true,
    };
  }
  return fileIntoCase(ctx);
}

/** The first key of the two-key advisory locks on a message's hash (the one-key ones are replies'). */
const SAME_BYTES_LOCK = 1;
/** …and on its Message-ID. */
const SAME_MESSAGE_LOCK = 2;

// Two workers given the same message id (a stalled BullMQ job runs twice) queue here; the
// second then sees the first's submission and changes nothing.
async function lockMessage(trx: Kysely<Database>, dialect: Dialect, id: number) {
  const q = trx.selectFrom('messages').selectAll().where('id', '=', id);
  const message = await (dialect === 'postgres' ? q.forNoKeyUpdate() : q).executeTakeFirst();
  if (!message) throw new StoreError('MessageNotFound', `no message row ${id}`);
  return message;
}

async function describeExisting(
  trx: Kysely<Database>,
  s: Selectable<SubmissionTable>,
): Promise<FileSubmissionResult> {
  const kase =
    s.case_id === null
      ? undefined
      : await trx
          .selectFrom('cases')
          .select('case_no')
          .where('id', '=', s.case_id)
          .executeTakeFirst();
  const resub = await trx
    .selectFrom('findings')
    .select('details_json')
    .where('submission_id', '=', s.id)
    .where('rule', '=', 'RESUBMISSION')
    .executeTakeFirst();
  const supersedes = resub
    ? (JSON.parse(resub.details_json) as { supersededSubmissionId?: number })
    : {};
  return {
    submissionId: s.id,
    caseId: s.case_id,
    caseNo: kase?.case_no ?? null,
    duplicateOf: s.duplicate_of,
    supersedes: supersedes.supersededSubmissionId ?? null,
    supersededBy: s.superseded_by,
    created: false,
  };
}

/**
 * The message this one is a copy of, and its submission: the first processed message with the
 * same raw bytes; else the same message delivered again with other bytes (through two aliases of
 * the mailbox, or saved with other line ends: the Received headers or the line ends differ), known
 * by the same Message-ID, sender and files. A client that sends anew makes a new Message-ID.
 */
async function findOriginal(
  trx: Kysely<Database>,
  message: Selectable<MessageTable>,
  input: FileSubmissionInput,
): Promise<{ id: number; case_id: number | null; message_row_id: number; by: Copy } | undefined> {
  const earlier = trx
    .selectFrom('messages')
    .innerJoin('submissions', 'submissions.message_row_id', 'messages.id')
    .select(['submissions.id', 'submissions.case_id', 'messages.id as message_row_id'])
    .where('messages.id', '!=', message.id)
    .where('messages.state', '=', 'processed')
    .orderBy('messages.id');
  const sameBytes = await earlier.where('messages.sha256', '=', message.sha256).executeTakeFirst();
  if (sameBytes) return { ...sameBytes, by: 'bytes' };
  if (!input.messageIdHeader) return undefined;
  const files = filesKey(input.attachments.map((a) => a.sha256));
  const sameId = await earlier
    .where('submissions.message_id_header', '=', input.messageIdHeader)
    .where('submissions.from_address', input.fromAddress === null ? 'is' : '=', input.fromAddress)
    .where('submissions.duplicate_of', 'is', null)
    .execute();
  for (const candidate of sameId) {
    const theirs = await trx
      .selectFrom('attachments')
      .select('sha256')
      .where('submission_id', '=', candidate.id)
      .execute();
    if (filesKey(theirs.map((r) => r.sha256)) === files) return { ...candidate, by: 'message-id' };
  }
  return undefined;
}

type Copy = 'bytes' | 'message-id';
const filesKey = (sha256s: string[]) => [...sha256s].sort().join(',');

async function fileDuplicate(
  ctx: Ctx,
  original: { id: number; case_id: number | null; message_row_id: number; by: Copy },
): Promise<FileSubmissionResult> {
  const finding: Finding = {
    rule: 'DUPLICATE',
    severity: 'info',
    passed: false,
    message:
      original.by === 'bytes'
        ? '与此前收到的邮件完全相同，未重复处理'
        : '与此前收到的邮件是同一封（Message-ID、发件人与附件均相同，为重复投递），未重复处理',
    details: {
      originalSubmissionId: original.id,
      originalMessageRowId: original.message_row_id,
      by: original.by,
    },
  };
  // Linked to the original's case for the history, but the case itself is not touched.
  const submissionId = await insertSubmission(
    ctx,
    { caseId: original.case_id, duplicateOf: original.id, supersededBy: null },
    [finding],
  );
  const kase =
    original.case_id === null
      ? undefined
      : await ctx.trx
          .selectFrom('cases')
          .select('case_no')
          .where('id', '=', original.case_id)
          .executeTakeFirst();
  return {
    submissionId,
    caseId: original.case_id,
    caseNo: kase?.case_no ?? null,
    duplicateOf: original.id,
    supersedes: null,
    supersededBy: null,
    created: true,
  };
}
