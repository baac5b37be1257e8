// Re-running validation after a rule or profile change (`intake reprocess`, the dashboard's
// 重新校验 button).
//
// Design: a re-evaluation REPLACES the submission's verdict, result, findings and attachment
// rows in place (same submission id). A submission is one stored message (message_row_id is
// unique), and a new evaluation of the same bytes is not a new version from the applicant: the
// case's version history stays "what the applicant sent". What the re-run changed (old verdict,
// new verdict, rules that started or stopped failing) is kept in the audit log, written in the
// same transaction. Duplicates (byte-identical copies) are not re-run: they follow their
// original. The pipeline's own findings (RESUBMISSION) are carried over.
import type { CheckResult, Finding } from '../types.js';
import { writeAudit } from './audit.js';
import { lockCase } from './cases.js';
import { type Db, inTransaction, nowIso, StoreError } from './db.js';
import type { CaseStatus, ReceivedAtSource } from './schema.js';
import { type FileSubmissionInput, insertDetails } from './submission-rows.js';

/** What a fresh run of the validation core says about one stored message. */
export interface Evaluation {
  result: CheckResult;
  /** Blobs already stored. */
  attachments: FileSubmissionInput['attachments'];
}

export type Evaluate = (message: {
  sha256: string;
  receivedAt: Date;
  receivedAtSource?: ReceivedAtSource;
}) => Promise<Evaluation>;

export interface ReprocessOutcome {
  submissionId: number;
  caseId: number | null;
  before: string;
  after: string;
  /** Rules failing now that did not before, and the reverse. */
  newlyFailed: string[];
  nowPassing: string[];
}

const PIPELINE_ONLY = new Set(['RESUBMISSION', 'DUPLICATE']);

const failing = (fs: Finding[]) =>
  new Set(fs.filter((f) => !f.passed && !PIPELINE_ONLY.has(f.rule)).map((f) => f.rule as string));

export async function reprocessSubmission(
  db: Db,
  evaluate: Evaluate,
  submissionId: number,
  actor: string,
): Promise<ReprocessOutcome> {
  const row = await db.k
    .selectFrom('submissions')
    .innerJoin('messages', 'messages.id', 'submissions.message_row_id')
    .select([
      'submissions.id',
      'submissions.result_json',
      'messages.sha256',
      'messages.received_at',
      'messages.received_at_source',
    ])
    .where('submissions.id', '=', submissionId)
    .executeTakeFirst();
  if (!row) throw new StoreError('SubmissionNotFound', `no submission ${submissionId}`);
  // The slow part (reading documents) runs outside the transaction.
  const fresh = await evaluate({
    sha256: row.sha256,
    receivedAt: new Date(row.received_at),
    receivedAtSource: row.received_at_source,
  });
  return inTransaction(db, async (trx) => {
    const s = await trx
      .selectFrom('submissions')
      .selectAll()
      .where('id', '=', submissionId)
      .executeTakeFirstOrThrow();
    // The case first, as a filing takes it: an organiser's withdrawal or override committed
    // meanwhile is read here, not written over, and a filing of the case cannot deadlock with
    // this re-run (each waiting for the row the other holds).
    const c = s.case_id === null ? undefined : await lockCase(trx, db.dialect, { id: s.case_id });
    const old = JSON.parse(s.result_json) as CheckResult;
    const carried = old.findings.filter((f) => PIPELINE_ONLY.has(f.rule));
    const result: CheckResult = {
      ...fresh.result,
      findings: [...fresh.result.findings, ...carried],
    };
    const at = nowIso();
    await trx
      .updateTable('submissions')
      .set({ verdict: result.verdict, kind: result.kind, result_json: JSON.stringify(result) })
      .where('id', '=', submissionId)
      .execute();
    await trx.deleteFrom('findings').where('submission_id', '=', submissionId).execute();
    await trx.deleteFrom('attachments').where('submission_id', '=', submissionId).execute();
    await insertDetails(trx, submissionId, result.findings, fresh.attachments);
    const before = failing(old.findings);
    const after = failing(result.findings);
    const outcome: ReprocessOutcome = {
      submissionId,
      caseId: s.case_id,
      before: s.verdict,
      after: result.verdict,
      newlyFailed: [...after].filter((r) => !before.has(r)),
      nowPassing: [...before].filter((r) => !after.has(r)),
    };
    await writeAudit(
      trx,
      {
        actor,
        entity: 'submission',
        entityId: submissionId,
        action: 'reprocessed',
        detail: { ...outcome },
      },
      at,
    );
    if (c) {
      // An organiser's decision (override, withdrawal) outlives a re-run, as it outlives a
      // resubmission; only the current submission drives the status.
      const keep =
        c.status === 'withdrawn' ||
        c.verdict_override !== null ||
        c.current_submission_id !== submissionId;
      if (!keep && c.status !== statusOf(result.verdict)) {
        await trx
          .updateTable('cases')
          .set({ status: statusOf(result.verdict), updated_at: at })
          .where('id', '=', c.id)
          .execute();
        await writeAudit(
          trx,
          {
            actor,
            entity: 'case',
            entityId: c.id,
            action: 'status_changed',
            detail: { from: c.status, to: statusOf(result.verdict), by: 'reprocess' },
          },
          at,
        );
      }
    }
    return outcome;
  });
}

// A case's submission can only become `not_submission` after a rule change that misreads it:
// an organiser must look at it.
function statusOf(verdict: string): CaseStatus {
  return verdict === 'accepted' || verdict === 'rejected' ? verdict : 'needs_review';
}

/** A submission a re-run could not redo (its stored message unreadable, say): left as it was. */
export interface ReprocessFailure {
  submissionId: number;
  error: string;
}

export interface ReprocessRun {
  outcomes: ReprocessOutcome[];
  failures: ReprocessFailure[];
}

/** Every non-duplicate submission of a case, oldest first. */
export async function reprocessCase(
  db: Db,
  evaluate: Evaluate,
  caseId: number,
  actor: string,
): Promise<ReprocessRun> {
  const c = await db.k.selectFrom('cases').select('id').where('id', '=', caseId).executeTakeFirst();
  if (!c) throw new StoreError('CaseNotFound', `no case ${caseId}`);
  const subs = await db.k
    .selectFrom('submissions')
    .select('id')
    .where('case_id', '=', caseId)
    .where('duplicate_of', 'is', null)
    .orderBy('id')
    .execute();
  return reprocessEach(db, evaluate, subs, actor);
}

export async function reprocessAll(
  db: Db,
  evaluate: Evaluate,
  actor: string,
  progress?: (done: number, total: number) => void,
): Promise<ReprocessRun> {
  const subs = await db.k
    .selectFrom('submissions')
    .select('id')
    .where('case_id', 'is not', null)
    .where('duplicate_of', 'is', null)
    .orderBy('id')
    .execute();
  return reprocessEach(db, evaluate, subs, actor, progress);
}

/**
 * One submission after another; one that fails is named and left as it was, and the rest go on
 * (a campaign half re-run, with no way to resume but from the start, would be worse).
 */
async function reprocessEach(
  db: Db,
  evaluate: Evaluate,
  subs: { id: number }[],
  actor: string,
  progress?: (done: number, total: number) => void,
): Promise<ReprocessRun> {
  const run: ReprocessRun = { outcomes: [], failures: [] };
  for (const [i, s] of subs.entries()) {
    try {
      run.outcomes.push(await reprocessSubmission(db, evaluate, s.id, actor));
    } catch (err) {
      run.failures.push({ submissionId: s.id, error: (err as Error).message ?? String(err) });
    }
    progress?.(i + 1, subs.length);
  }
  return run;
}
