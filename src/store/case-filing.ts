// Filing a submission into its case: find or create the case, and decide whether the new
// submission becomes the current one (supersedes) or goes into the history.
import type { CheckResult, Finding } from '../types.js';
import { writeAudit } from './audit.js';
import { caseKey, findOrCreateCase } from './cases.js';
import type { Selectable } from './kysely.js';
import type { CaseStatus, CaseTable } from './schema.js';
import {
  type Ctx,
  type FileSubmissionResult,
  insertSubmission,
  SYSTEM_ACTOR,
} from './submission-rows.js';

export async function fileIntoCase(ctx: Ctx): Promise<FileSubmissionResult> {
  const { trx, input, message } = ctx;
  const id = caseIdentity(input.result, message.id);
  const fields = input.result.form?.fields ?? {};
  const { row: kase, created } = await findOrCreateCase(trx, ctx.dialect, {
    ...id,
    prefix: input.caseNumberPrefix,
    direction: fields.direction ?? null,
    applicantType: fields.applicantType ?? null,
    status: input.result.verdict as CaseStatus,
    at: ctx.at,
  });
  if (created) {
    await writeAudit(
      trx,
      {
        actor: SYSTEM_ACTOR,
        entity: 'case',
        entityId: kase.id,
        action: 'created',
        detail: { caseNo: kase.case_no, messageRowId: message.id },
      },
      ctx.at,
    );
  }
  const current =
    kase.current_submission_id === null
      ? undefined
      : await trx
          .selectFrom('submissions')
          .select(['id', 'received_at', 'message_row_id'])
          .where('id', '=', kase.current_submission_id)
          .executeTakeFirst();
  const becomesCurrent =
    !current || isLater({ received_at: message.received_at, message_row_id: message.id }, current);
  const extra: Finding[] = current && becomesCurrent ? [resubmission(kase.case_no, current)] : [];
  const submissionId = await insertSubmission(
    ctx,
    {
      caseId: kase.id,
      duplicateOf: null,
      supersededBy: becomesCurrent ? null : (current?.id ?? null),
    },
    extra,
  );
  if (becomesCurrent) await makeCurrent(ctx, kase, submissionId, current?.id ?? null, id);
  return {
    submissionId,
    caseId: kase.id,
    caseNo: kase.case_no,
    duplicateOf: null,
    supersedes: becomesCurrent ? (current?.id ?? null) : null,
    supersededBy: becomesCurrent ? null : (current?.id ?? null),
    created: true,
  };
}

/**
 * Whether message `a` comes after `b` in its case: an older message processed late (a backfill,
 * a retry) goes into the history only. Equal receive times (second resolution) fall back to
 * arrival order of the rows.
 */
export function isLater(
  a: { received_at: string; message_row_id: number },
  b: { received_at: string; message_row_id: number },
): boolean {
  const at = Date.parse(a.received_at);
  const bt = Date.parse(b.received_at);
  return at > bt || (at === bt && a.message_row_id > b.message_row_id);
}

function resubmission(caseNo: string, current: { id: number; received_at: string }): Finding {
  return {
    rule: 'RESUBMISSION',
    severity: 'info',
    passed: false,
    message: `本邮件是案例 ${caseNo} 的重新提交，已替代此前的提交`,
    details: {
      caseNo,
      supersededSubmissionId: current.id,
      supersededReceivedAt: current.received_at,
    },
  };
}

/**
 * Organisation and title from the subject, else from the form. With neither the message gets
 * a case of its own (keyed by its row id), so unrelated unidentifiable mails never merge.
 */
function caseIdentity(result: CheckResult, messageRowId: number) {
  const organization = result.subject.organization ?? result.form?.fields.organization ?? null;
  const title = result.subject.title ?? result.form?.fields.caseName ?? null;
  if (organization && title) {
    const key = caseKey(organization, title);
    if (!key.startsWith('|') && !key.endsWith('|')) return { key, organization, title };
  }
  return {
    key: `message:${messageRowId}`,
    organization: organization ?? '',
    title: title ?? result.subject.raw,
  };
}

async function makeCurrent(
  ctx: Ctx,
  kase: Selectable<CaseTable>,
  submissionId: number,
  previousId: number | null,
  id: { organization: string; title: string },
): Promise<void> {
  const { trx, input, at } = ctx;
  if (previousId !== null) {
    await trx
      .updateTable('submissions')
      .set({ superseded_by: submissionId })
      .where('id', '=', previousId)
      .execute();
    await writeAudit(
      trx,
      {
        actor: SYSTEM_ACTOR,
        entity: 'submission',
        entityId: previousId,
        action: 'superseded',
        detail: { by: submissionId, caseNo: kase.case_no },
      },
      at,
    );
  }
  // An organiser's decision (withdrawn, or a verdict override) outlives new submissions.
  const keepStatus = kase.status === 'withdrawn' || kase.verdict_override !== null;
  const fields = input.result.form?.fields ?? {};
  await trx
    .updateTable('cases')
    .set({
      current_submission_id: submissionId,
      status: keepStatus ? kase.status : (input.result.verdict as CaseStatus),
      organization: id.organization,
      title: id.title,
      direction: fields.direction ?? kase.direction,
      applicant_type: fields.applicantType ?? kase.applicant_type,
      updated_at: at,
    })
    .where('id', '=', kase.id)
    .execute();
}
