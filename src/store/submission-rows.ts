// Writing and reading submission rows: the submission itself with its findings, attachments,
// audit entry and the message's `processed` mark (written together, in the filing transaction).
import type { CheckResult, Finding } from '../types.js';
import { writeAudit } from './audit.js';
import type { Db, Dialect } from './db.js';
import type { Kysely, Selectable } from './kysely.js';
import type { Database, MessageTable, SubmissionTable } from './schema.js';

export interface FileSubmissionInput {
  messageRowId: number;
  messageIdHeader: string | null;
  fromAddress: string | null;
  result: CheckResult;
  /** Blobs already stored. */
  attachments: CheckResult['attachments'];
  caseNumberPrefix: string;
}

export interface FileSubmissionResult {
  submissionId: number;
  /** For a duplicate: the original's case (unchanged). Null for a not-submission. */
  caseId: number | null;
  caseNo: string | null;
  /**
   * The earlier submission this one is a copy of (the same bytes, or the same Message-ID, sender
   * and files: `findOriginal`); the pipeline sends no reply then.
   */
  duplicateOf: number | null;
  /** The submission this one replaced as the case's current one. */
  supersedes: number | null;
  /**
   * The case's current submission, when it is later than this one (an older message processed
   * late: a backfill, a retry): this one went into the history.
   */
  supersededBy: number | null;
  /** False when the message had already been filed (nothing changed). */
  created: boolean;
}

export interface SubmissionRow {
  id: number;
  messageRowId: number;
  caseId: number | null;
  messageIdHeader: string | null;
  fromAddress: string | null;
  kind: string;
  verdict: string;
  receivedAt: Date;
  supersededBy: number | null;
  duplicateOf: number | null;
  result: CheckResult;
  createdAt: Date;
}

/** What every step of one filing shares. */
export interface Ctx {
  trx: Kysely<Database>;
  dialect: Dialect;
  input: FileSubmissionInput;
  message: Selectable<MessageTable>;
  at: string;
}

export const SYSTEM_ACTOR = 'system';

export async function insertSubmission(
  ctx: Ctx,
  links: { caseId: number | null; duplicateOf: number | null; supersededBy: number | null },
  extra: Finding[],
): Promise<number> {
  const { trx, input, message, at } = ctx;
  const result: CheckResult = { ...input.result, findings: [...input.result.findings, ...extra] };
  const { id } = await trx
    .insertInto('submissions')
    .values({
      message_row_id: message.id,
      case_id: links.caseId,
      message_id_header: input.messageIdHeader,
      from_address: input.fromAddress,
      kind: result.kind,
      verdict: result.verdict,
      received_at: message.received_at,
      superseded_by: links.supersededBy,
      duplicate_of: links.duplicateOf,
      result_json: JSON.stringify(result),
      created_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await insertDetails(trx, id, result.findings, input.attachments);
  await writeAudit(
    trx,
    {
      actor: SYSTEM_ACTOR,
      entity: 'submission',
      entityId: id,
      action: 'filed',
      detail: {
        messageRowId: message.id,
        caseId: links.caseId,
        verdict: result.verdict,
        duplicateOf: links.duplicateOf,
      },
    },
    at,
  );
  await trx
    .updateTable('messages')
    .set({
      state: 'processed',
      processed_at: at,
      last_error: null,
      message_id_header: input.messageIdHeader,
    })
    .where('id', '=', message.id)
    .execute();
  return id;
}

/** A submission's findings and attachment rows (filing, and re-filing after reprocess). */
export async function insertDetails(
  trx: Kysely<Database>,
  submissionId: number,
  findings: Finding[],
  attachments: FileSubmissionInput['attachments'],
): Promise<void> {
  if (findings.length > 0) {
    await trx
      .insertInto('findings')
      .values(
        findings.map((f) => ({
          submission_id: submissionId,
          rule: f.rule,
          severity: f.severity,
          passed: f.passed ? 1 : 0,
          message: f.message,
          details_json: JSON.stringify(f.details ?? {}),
        })),
      )
      .execute();
  }
  if (attachments.length > 0) {
    await trx
      .insertInto('attachments')
      .values(
        attachments.map((a) => ({
          submission_id: submissionId,
          filename: a.filename,
          detected_type: a.detectedType,
          role: a.role,
          bytes: a.bytes,
          sha256: a.sha256,
          inside_archive: a.insideArchive,
        })),
      )
      .execute();
  }
}

export async function getSubmissionByMessage(
  db: Db,
  messageRowId: number,
): Promise<SubmissionRow | undefined> {
  const r = await db.k
    .selectFrom('submissions')
    .selectAll()
    .where('message_row_id', '=', messageRowId)
    .executeTakeFirst();
  return r && toSubmissionRow(r);
}

export async function getSubmission(db: Db, id: number): Promise<SubmissionRow | undefined> {
  const r = await db.k
    .selectFrom('submissions')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return r && toSubmissionRow(r);
}

export function toSubmissionRow(r: Selectable<SubmissionTable>): SubmissionRow {
  return {
    id: r.id,
    messageRowId: r.message_row_id,
    caseId: r.case_id,
    messageIdHeader: r.message_id_header,
    fromAddress: r.from_address,
    kind: r.kind,
    verdict: r.verdict,
    receivedAt: new Date(r.received_at),
    supersededBy: r.superseded_by,
    duplicateOf: r.duplicate_of,
    result: JSON.parse(r.result_json) as CheckResult,
    createdAt: new Date(r.created_at),
  };
}
