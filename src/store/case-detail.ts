// One case in full for the dashboard: submissions (versions), findings, attachments, replies
// and the audit log.
import type { CheckResult } from '../types.js';
import type { CaseListItem } from './case-search.js';
import type { Db } from './db.js';

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

/** An attachment's row and the stored message it came in (its file is written out from it). */
export async function getAttachment(db: Db, id: number) {
  return db.k
    .selectFrom('attachments')
    .innerJoin('submissions', 'submissions.id', 'attachments.submission_id')
    .innerJoin('messages', 'messages.id', 'submissions.message_row_id')
    .selectAll('attachments')
    .select(['messages.sha256 as message_sha256', 'messages.received_at as message_received_at'])
    .where('attachments.id', '=', id)
    .executeTakeFirst();
}
