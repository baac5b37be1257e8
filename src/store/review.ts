// What the organisers' dashboard reads and does: the filtered case list, one case in full, the
// overview counts, and the organiser's actions (verdict override, withdrawal), each audited in
// the same transaction as the change it records.
import type { CheckResult } from '../types.js';
import { writeAudit } from './audit.js';
import { type Db, inTransaction, nowIso, StoreError } from './db.js';
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

export interface CaseListItem {
  id: number;
  caseNo: string;
  organization: string;
  title: string;
  direction: string | null;
  applicantType: string | null;
  status: CaseStatus;
  verdictOverride: string | null;
  /** The current submission's verdict (the machine's); null before any submission. */
  verdict: string | null;
  receivedAt: string | null;
  submissionCount: number;
}

// LIKE wildcards typed by the organiser are literal text.
const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

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
        eb(eb.fn('lower', ['cases.organization']), 'like', pattern.toLowerCase()),
        eb(eb.fn('lower', ['cases.title']), 'like', pattern.toLowerCase()),
        eb('cases.case_no', 'like', pattern),
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

export interface SubmissionDetail {
  id: number;
  messageRowId: number;
  messageIdHeader: string | null;
  fromAddress: string | null;
  verdict: string;
  receivedAt: string;
  supersededBy: number | null;
  duplicateOf: number | null;
  result: CheckResult;
  attachments: {
    id: number;
    filename: string;
    detectedType: string;
    role: string;
    bytes: number;
    sha256: string;
    insideArchive: string | null;
  }[];
  findings: { rule: string; severity: string; passed: boolean; message: string }[];
}

export interface CaseDetail {
  case: CaseListItem & { overrideReason: string | null; currentSubmissionId: number | null };
  /** Oldest first. */
  submissions: SubmissionDetail[];
  replies: {
    id: number;
    submissionId: number;
    kind: string;
    state: string;
    recipient: string | null;
    suppressedReason: string | null;
    lastError: string | null;
    createdAt: string;
    sentAt: string | null;
  }[];
  audit: {
    at: string;
    actor: string;
    entity: string;
    entityId: number | null;
    action: string;
    detail: unknown;
  }[];
}

export async function getCaseDetail(db: Db, id: number): Promise<CaseDetail | undefined> {
  const c = await db.k.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
  if (!c) return undefined;
  const subs = await db.k
    .selectFrom('submissions')
    .selectAll()
    .where('case_id', '=', id)
    .orderBy('received_at')
    .orderBy('id')
    .execute();
  const subIds = subs.map((s) => s.id);
  const none = [-1]; // `in ()` is not valid SQL
  const [atts, finds, replies] = await Promise.all([
    db.k
      .selectFrom('attachments')
      .selectAll()
      .where('submission_id', 'in', subIds.length ? subIds : none)
      .orderBy('id')
      .execute(),
    db.k
      .selectFrom('findings')
      .selectAll()
      .where('submission_id', 'in', subIds.length ? subIds : none)
      .orderBy('id')
      .execute(),
    db.k
      .selectFrom('replies')
      .selectAll()
      .where('submission_id', 'in', subIds.length ? subIds : none)
      .orderBy('id')
      .execute(),
  ]);
  const replyIds = replies.map((r) => r.id);
  const audit = await db.k
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('entity', '=', 'case'), eb('entity_id', '=', id)]),
        eb.and([
          eb('entity', '=', 'submission'),
          eb('entity_id', 'in', subIds.length ? subIds : none),
        ]),
        eb.and([
          eb('entity', '=', 'reply'),
          eb('entity_id', 'in', replyIds.length ? replyIds : none),
        ]),
      ]),
    )
    .orderBy('id')
    .execute();
  const current = subs.find((s) => s.id === c.current_submission_id);
  return {
    case: {
      id: c.id,
      caseNo: c.case_no,
      organization: c.organization,
      title: c.title,
      direction: c.direction,
      applicantType: c.applicant_type,
      status: c.status,
      verdictOverride: c.verdict_override,
      overrideReason: c.override_reason,
      currentSubmissionId: c.current_submission_id,
      verdict: current?.verdict ?? null,
      receivedAt: current?.received_at ?? null,
      submissionCount: subs.length,
    },
    submissions: subs.map((s) => ({
      id: s.id,
      messageRowId: s.message_row_id,
      messageIdHeader: s.message_id_header,
      fromAddress: s.from_address,
      verdict: s.verdict,
      receivedAt: s.received_at,
      supersededBy: s.superseded_by,
      duplicateOf: s.duplicate_of,
      result: JSON.parse(s.result_json) as CheckResult,
      attachments: atts
        .filter((a) => a.submission_id === s.id)
        .map((a) => ({
          id: a.id,
          filename: a.filename,
          detectedType: a.detected_type,
          role: a.role,
          bytes: a.bytes,
          sha256: a.sha256,
          insideArchive: a.inside_archive,
        })),
      findings: finds
        .filter((f) => f.submission_id === s.id)
        .map((f) => ({
          rule: f.rule,
          severity: f.severity,
          passed: f.passed === 1,
          message: f.message,
        })),
    })),
    replies: replies.map((r) => ({
      id: r.id,
      submissionId: r.submission_id,
      kind: r.kind,
      state: r.state,
      recipient: r.recipient,
      suppressedReason: r.suppressed_reason,
      lastError: r.last_error,
      createdAt: r.created_at,
      sentAt: r.sent_at,
    })),
    audit: audit.map((a) => ({
      at: a.at,
      actor: a.actor,
      entity: a.entity,
      entityId: a.entity_id,
      action: a.action,
      detail: a.detail_json === null ? null : JSON.parse(a.detail_json),
    })),
  };
}

export async function getAttachment(db: Db, id: number) {
  return db.k.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface Overview {
  byStatus: Record<string, number>;
  byVerdict: Record<string, number>;
  /** Submissions (not duplicates) per Beijing-time day, oldest first. */
  perDay: { day: string; n: number }[];
  messages: Record<string, number>;
  mailboxes: {
    mailbox: string;
    lastPollAt: string | null;
    lastError: string | null;
    lastErrorAt: string | null;
  }[];
  replies: Record<string, number>;
  troubledReplies: {
    id: number;
    submissionId: number;
    state: string;
    recipient: string | null;
    reason: string | null;
    caseId: number | null;
  }[];
  failedMessages: { id: number; lastError: string | null; originalName: string | null }[];
}

const count = <K extends string>(rows: { k: K; n: unknown }[]) =>
  Object.fromEntries(rows.map((r) => [r.k, Number(r.n)])) as Record<string, number>;

export async function getOverview(db: Db, utcOffsetMinutes = 480): Promise<Overview> {
  const k = db.k;
  const byStatus = await k
    .selectFrom('cases')
    .select(['status as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy('status')
    .execute();
  const byVerdict = await k
    .selectFrom('submissions')
    .select(['verdict as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .where('duplicate_of', 'is', null)
    .groupBy('verdict')
    .execute();
  const messages = await k
    .selectFrom('messages')
    .select(['state as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy('state')
    .execute();
  const replies = await k
    .selectFrom('replies')
    .select(['state as k'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy('state')
    .execute();
  // Day bucketing in JS keeps SQL the same on SQLite and PostgreSQL; a campaign has thousands
  // of submissions at most.
  const times = await k
    .selectFrom('submissions')
    .select('received_at')
    .where('duplicate_of', 'is', null)
    .execute();
  const days = new Map<string, number>();
  for (const t of times) {
    const day = new Date(Date.parse(t.received_at) + utcOffsetMinutes * 60_000)
      .toISOString()
      .slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + 1);
  }
  const cursors = await k.selectFrom('mailbox_cursors').selectAll().orderBy('mailbox').execute();
  const troubled = await k
    .selectFrom('replies')
    .leftJoin('submissions', 'submissions.id', 'replies.submission_id')
    .select([
      'replies.id',
      'replies.submission_id',
      'replies.state',
      'replies.recipient',
      'replies.suppressed_reason',
      'replies.last_error',
      'submissions.case_id',
    ])
    .where('replies.state', 'in', ['suppressed', 'failed'])
    .orderBy('replies.id', 'desc')
    .limit(50)
    .execute();
  const failed = await k
    .selectFrom('messages')
    .select(['id', 'last_error', 'original_name'])
    .where('state', '=', 'failed')
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
  return {
    byStatus: count(byStatus),
    byVerdict: count(byVerdict),
    perDay: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, n]) => ({ day, n })),
    messages: count(messages),
    replies: count(replies),
    mailboxes: cursors.map((c) => ({
      mailbox: c.mailbox,
      lastPollAt: c.last_poll_at,
      lastError: c.last_error,
      lastErrorAt: c.last_error_at,
    })),
    troubledReplies: troubled.map((r) => ({
      id: r.id,
      submissionId: r.submission_id,
      state: r.state,
      recipient: r.recipient,
      reason: r.suppressed_reason ?? r.last_error,
      caseId: r.case_id,
    })),
    failedMessages: failed.map((m) => ({
      id: m.id,
      lastError: m.last_error,
      originalName: m.original_name,
    })),
  };
}

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
