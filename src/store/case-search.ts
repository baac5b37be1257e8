// The dashboard's case list: filters, search on organisation/title/case number, paging.
import type { CaseRow } from './cases.js';
import type { Db } from './db.js';
import { type Expression, type SqlBool, sql } from './kysely.js';
import type { CaseStatus } from './schema.js';

export interface CaseFilter {
  status?: string;
  verdict?: string;
  direction?: string;
  applicantType?: string;
  /** Substring of organisation or title. */
  q?: string;
  sort?: 'newest' | 'oldest';
  page?: number;
  pageSize?: number;
}

export interface CaseListItem
  extends Pick<
    CaseRow,
    | 'id'
    | 'caseNo'
    | 'organization'
    | 'title'
    | 'direction'
    | 'applicantType'
    | 'status'
    | 'verdictOverride'
  > {
  /** The current submission's verdict (the machine's); null before any submission. */
  verdict: string | null;
  receivedAt: string | null;
  submissionCount: number;
}

// LIKE wildcards typed by the organiser are literal text. The escape character is named: it is
// PostgreSQL's default, but SQLite has none unless told.
const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const contains = (column: Expression<string>, pattern: string) =>
  sql<SqlBool>`${column} like ${pattern} escape '\\'`;

export async function searchCases(
  db: Db,
  f: CaseFilter,
): Promise<{ rows: CaseListItem[]; total: number; page: number; pageSize: number }> {
  const pageSize = Math.min(Math.max(f.pageSize ?? 50, 1), 500);
  const page = Math.max(f.page ?? 1, 1);
  let q = db.k
    .selectFrom('cases')
    .leftJoin('submissions', 'submissions.id', 'cases.current_submission_id');
  if (f.status) q = q.where('cases.status', '=', f.status as CaseStatus);
  if (f.verdict) q = q.where('submissions.verdict', '=', f.verdict);
  if (f.direction) q = q.where('cases.direction', '=', f.direction);
  if (f.applicantType) q = q.where('cases.applicant_type', '=', f.applicantType);
  if (f.q?.trim()) {
    const pattern = likeEscape(f.q.trim());
    q = q.where((eb) =>
      eb.or([
        contains(eb.fn('lower', ['cases.organization']), pattern.toLowerCase()),
        contains(eb.fn('lower', ['cases.title']), pattern.toLowerCase()),
        contains(eb.ref('cases.case_no'), pattern),
      ]),
    );
  }
  const { n } = await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  const dir = f.sort === 'oldest' ? 'asc' : 'desc';
  const rows = await q
    .select([
      'cases.id',
      'cases.case_no',
      'cases.organization',
      'cases.title',
      'cases.direction',
      'cases.applicant_type',
      'cases.status',
      'cases.verdict_override',
      'submissions.verdict',
      'submissions.received_at',
    ])
    .select((eb) =>
      eb
        .selectFrom('submissions as s2')
        .select((e2) => e2.fn.countAll().as('c'))
        .whereRef('s2.case_id', '=', 'cases.id')
        .as('submission_count'),
    )
    .orderBy('submissions.received_at', dir)
    .orderBy('cases.id', dir)
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return {
    total: Number(n),
    page,
    pageSize,
    rows: rows.map((r) => ({
      id: r.id,
      caseNo: r.case_no,
      organization: r.organization,
      title: r.title,
      direction: r.direction,
      applicantType: r.applicant_type,
      status: r.status,
      verdictOverride: r.verdict_override,
      verdict: r.verdict,
      receivedAt: r.received_at,
      submissionCount: Number(r.submission_count ?? 0),
    })),
  };
}

export async function filterValues(
  db: Db,
): Promise<{ directions: string[]; applicantTypes: string[] }> {
  const d = await db.k
    .selectFrom('cases')
    .select('direction')
    .distinct()
    .where('direction', 'is not', null)
    .execute();
  const a = await db.k
    .selectFrom('cases')
    .select('applicant_type')
    .distinct()
    .where('applicant_type', 'is not', null)
    .execute();
  return {
    directions: d.map((r) => r.direction as string).sort(),
    applicantTypes: a.map((r) => r.applicant_type as string).sort(),
  };
}
