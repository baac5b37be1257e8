// Cases: one per organisation + case title, however many times it is submitted. Numbers are
// allocated sequentially per prefix (2025-0001 …) inside the filing transaction.
import type { Db, Dialect } from './db.js';
import type { Kysely, Selectable } from './kysely.js';
import type { CaseStatus, CaseTable, Database } from './schema.js';

export interface CaseRow {
  id: number;
  caseNo: string;
  caseKey: string;
  organization: string;
  title: string;
  direction: string | null;
  applicantType: string | null;
  status: CaseStatus;
  verdictOverride: string | null;
  overrideReason: string | null;
  currentSubmissionId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** DESIGN.md §4: one element of `intake report --format json` and `/api/cases`. */
export interface CaseReport {
  id: number;
  caseNo: string;
  status: CaseStatus;
  organization: string;
  title: string;
  direction: string | null;
  submissions: {
    messageId: string | null;
    receivedAt: string;
    verdict: string;
    failedRules: string[];
  }[];
}

// Whitespace, punctuation, symbols and invisible format characters (zero-width spaces) carry
// no identity: 《数字金融》案例 and 数字金融 案例 are the same case. NFKC folds full-width forms.
const NOT_IDENTITY = /[\s\p{P}\p{S}\p{Z}\p{Cf}]/gu;

function normalizeKeyPart(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(NOT_IDENTITY, '');
}

/** The case identity. '|' cannot survive normalisation, so ('ab','c') ≠ ('a','bc'). */
export function caseKey(organization: string, title: string): string {
  return `${normalizeKeyPart(organization)}|${normalizeKeyPart(title)}`;
}

export function formatCaseNo(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(4, '0')}`;
}

/**
 * Reads a case by key or id, row-locked on PostgreSQL so that what writes a case (filings of it,
 * re-runs of its submissions) takes turns, and takes the case before its submissions.
 */
export async function lockCase(
  trx: Kysely<Database>,
  dialect: Dialect,
  by: { key: string } | { id: number },
): Promise<Selectable<CaseTable> | undefined> {
  const cases = trx.selectFrom('cases').selectAll();
  const q = 'key' in by ? cases.where('case_key', '=', by.key) : cases.where('id', '=', by.id);
  // SQLite needs no row lock: BEGIN IMMEDIATE (inTransaction) already serialises writers.
  // NO KEY UPDATE: the key never changes, and inserts referencing the case (their foreign-key
  // check takes KEY SHARE) need not wait for this filing.
  return (dialect === 'postgres' ? q.forNoKeyUpdate() : q).executeTakeFirst();
}

export interface NewCase {
  key: string;
  prefix: string;
  organization: string;
  title: string;
  direction: string | null;
  applicantType: string | null;
  status: CaseStatus;
  at: string;
}

/**
 * Finds the case by key or creates it with the next number. The counter row lock is taken
 * before the second look-up: a concurrent filer that created the same case meanwhile has then
 * committed, and READ COMMITTED's fresh snapshot per statement shows its case — so neither a
 * duplicate case nor a gap in the numbering appears.
 */
export async function findOrCreateCase(
  trx: Kysely<Database>,
  dialect: Dialect,
  c: NewCase,
): Promise<{ row: Selectable<CaseTable>; created: boolean }> {
  const found = await lockCase(trx, dialect, { key: c.key });
  if (found) return { row: found, created: false };

  const counter = `case_no:${c.prefix}`;
  await trx
    .insertInto('counters')
    .values({ name: counter, value: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const q = trx.selectFrom('counters').select('value').where('name', '=', counter);
  const { value } = await (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirstOrThrow();

  const raced = await lockCase(trx, dialect, { key: c.key });
  if (raced) return { row: raced, created: false };

  const next = value + 1;
  await trx.updateTable('counters').set({ value: next }).where('name', '=', counter).execute();
  const row = await trx
    .insertInto('cases')
    .values({
      case_no: formatCaseNo(c.prefix, next),
      case_key: c.key,
      organization: c.organization,
      title: c.title,
      direction: c.direction,
      applicant_type: c.applicantType,
      status: c.status,
      current_submission_id: null,
      created_at: c.at,
      updated_at: c.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, created: true };
}

export async function getCase(db: Db, id: number): Promise<CaseRow | undefined> {
  const r = await db.k.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toCaseRow(r);
}

export async function getCaseByNo(db: Db, caseNo: string): Promise<CaseRow | undefined> {
  const r = await db.k
    .selectFrom('cases')
    .selectAll()
    .where('case_no', '=', caseNo)
    .executeTakeFirst();
  return r && toCaseRow(r);
}

/** Every case with its submissions in arrival order (duplicates and superseded ones too). */
export async function listCases(db: Db): Promise<CaseReport[]> {
  const cases = await db.k.selectFrom('cases').selectAll().orderBy('id').execute();
  const subs = await db.k
    .selectFrom('submissions')
    .select(['id', 'case_id', 'message_id_header', 'received_at', 'verdict'])
    .where('case_id', 'is not', null)
    .orderBy('received_at')
    .orderBy('id')
    .execute();
  const failed = await db.k
    .selectFrom('findings')
    .innerJoin('submissions', 'submissions.id', 'findings.submission_id')
    .select(['findings.submission_id', 'findings.rule'])
    .where('submissions.case_id', 'is not', null)
    .where('findings.passed', '=', 0)
    .orderBy('findings.id')
    .execute();

  const rulesBySub = new Map<number, string[]>();
  for (const f of failed) {
    const list = rulesBySub.get(f.submission_id) ?? [];
    list.push(f.rule);
    rulesBySub.set(f.submission_id, list);
  }
  const subsByCase = new Map<number, CaseReport['submissions']>();
  for (const s of subs) {
    const list = subsByCase.get(s.case_id as number) ?? [];
    list.push({
      messageId: s.message_id_header,
      receivedAt: s.received_at,
      verdict: s.verdict,
      failedRules: rulesBySub.get(s.id) ?? [],
    });
    subsByCase.set(s.case_id as number, list);
  }
  return cases.map((c) => ({
    id: c.id,
    caseNo: c.case_no,
    status: c.status,
    organization: c.organization,
    title: c.title,
    direction: c.direction,
    submissions: subsByCase.get(c.id) ?? [],
  }));
}

export function toCaseRow(r: Selectable<CaseTable>): CaseRow {
  return {
    id: r.id,
    caseNo: r.case_no,
    caseKey: r.case_key,
    organization: r.organization,
    title: r.title,
    direction: r.direction,
    applicantType: r.applicant_type,
    status: r.status,
    verdictOverride: r.verdict_override,
    overrideReason: r.override_reason,
    currentSubmissionId: r.current_submission_id,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}
