// The organiser's actions on a case (verdict override, withdrawal), each audited in the same
// transaction as the change it records.
import { writeAudit } from './audit.js';
import { type Db, inTransaction, nowIso, StoreError } from './db.js';
import type { CaseStatus } from './schema.js';

export const OVERRIDE_VERDICTS = ['accepted', 'rejected', 'needs_review'] as const;
export type OverrideVerdict = (typeof OVERRIDE_VERDICTS)[number];

/** An organiser's verdict: the case keeps it through later submissions (case-filing.ts). */
export async function overrideVerdict(
  db: Db,
  caseId: number,
  o: { verdict: OverrideVerdict; reason: string; actor: string },
): Promise<{ submissionId: number | null; previous: CaseStatus }> {
  if (!OVERRIDE_VERDICTS.includes(o.verdict))
    throw new StoreError('InvalidVerdict', `not a verdict: ${o.verdict}`);
  if (!o.reason.trim()) throw new StoreError('ReasonRequired', 'an override needs a reason');
  return inTransaction(db, async (trx) => {
    const c = await trx.selectFrom('cases').selectAll().where('id', '=', caseId).executeTakeFirst();
    if (!c) throw new StoreError('CaseNotFound', `no case ${caseId}`);
    const at = nowIso();
    await trx
      .updateTable('cases')
      .set({
        status: o.verdict,
        verdict_override: o.verdict,
        override_reason: o.reason.trim(),
        updated_at: at,
      })
      .where('id', '=', caseId)
      .execute();
    await writeAudit(
      trx,
      {
        actor: o.actor,
        entity: 'case',
        entityId: caseId,
        action: 'verdict_overridden',
        detail: {
          from: c.status,
          to: o.verdict,
          reason: o.reason.trim(),
          submissionId: c.current_submission_id,
        },
      },
      at,
    );
    return { submissionId: c.current_submission_id, previous: c.status };
  });
}

export async function withdrawCase(
  db: Db,
  caseId: number,
  o: { reason: string; actor: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const c = await trx
      .selectFrom('cases')
      .select(['status'])
      .where('id', '=', caseId)
      .executeTakeFirst();
    if (!c) throw new StoreError('CaseNotFound', `no case ${caseId}`);
    const at = nowIso();
    await trx
      .updateTable('cases')
      .set({ status: 'withdrawn', updated_at: at })
      .where('id', '=', caseId)
      .execute();
    await writeAudit(
      trx,
      {
        actor: o.actor,
        entity: 'case',
        entityId: caseId,
        action: 'withdrawn',
        detail: { from: c.status, reason: o.reason.trim() || null },
      },
      at,
    );
  });
}

/** Distinct values for the filter drop-downs. */
