// The validation report as rows: one per case (the columns organisers sort and score by) and
// one per failed finding of each case's current submission. CSV, XLSX and HTML render these.
import type { ContestProfile } from '../config/contest.js';
import type { Db } from '../store/db.js';
import type { CheckResult } from '../types.js';
import { suggestDirection } from './directions.js';
import { beijingTime, label, VERDICT_LABELS } from './labels.js';

export interface CaseReportRow {
  id: number;
  caseNo: string;
  status: string;
  verdict: string;
  override: string;
  overrideReason: string;
  organization: string;
  title: string;
  direction: string;
  suggestedDirection: string;
  applicantType: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  implementedAt: string;
  reportChars: number | null;
  logo: string;
  receivedAt: string;
  submissions: number;
  failedRules: string;
}

export interface FindingReportRow {
  caseNo: string;
  organization: string;
  rule: string;
  severity: string;
  message: string;
  receivedAt: string;
}

export const CASE_COLUMNS: { key: keyof CaseReportRow; header: string; width: number }[] = [
  { key: 'caseNo', header: '案例编号', width: 12 },
  { key: 'status', header: '状态', width: 10 },
  { key: 'verdict', header: '自动校验结论', width: 12 },
  { key: 'override', header: '人工结论', width: 10 },
  { key: 'overrideReason', header: '人工结论理由', width: 24 },
  { key: 'organization', header: '申报单位', width: 28 },
  { key: 'title', header: '案例题目', width: 36 },
  { key: 'direction', header: '申报方向', width: 20 },
  { key: 'suggestedDirection', header: '建议方向（关键词）', width: 30 },
  { key: 'applicantType', header: '申报主体类型', width: 16 },
  { key: 'contactName', header: '联系人', width: 10 },
  { key: 'contactPhone', header: '联系电话', width: 14 },
  { key: 'contactEmail', header: '邮箱', width: 24 },
  { key: 'implementedAt', header: '实施时间', width: 10 },
  { key: 'reportChars', header: '报告字数', width: 10 },
  { key: 'logo', header: '商标', width: 22 },
  { key: 'receivedAt', header: '收到时间（北京）', width: 18 },
  { key: 'submissions', header: '提交次数', width: 8 },
  { key: 'failedRules', header: '未通过的检查', width: 40 },
];

export const FINDING_COLUMNS: { key: keyof FindingReportRow; header: string; width: number }[] = [
  { key: 'caseNo', header: '案例编号', width: 12 },
  { key: 'organization', header: '申报单位', width: 28 },
  { key: 'rule', header: '规则', width: 24 },
  { key: 'severity', header: '级别', width: 8 },
  { key: 'message', header: '说明', width: 60 },
  { key: 'receivedAt', header: '收到时间（北京）', width: 18 },
];

export async function loadReportRows(
  db: Db,
  profile: ContestProfile,
): Promise<{ cases: CaseReportRow[]; findings: FindingReportRow[] }> {
  const cases = await db.k
    .selectFrom('cases')
    .leftJoin('submissions', 'submissions.id', 'cases.current_submission_id')
    .selectAll('cases')
    .select(['submissions.verdict', 'submissions.result_json', 'submissions.received_at'])
    .select((eb) =>
      eb
        .selectFrom('submissions as s2')
        .select((e) => e.fn.countAll().as('c'))
        .whereRef('s2.case_id', '=', 'cases.id')
        .as('n'),
    )
    .orderBy('cases.id')
    .execute();
  const caseRows: CaseReportRow[] = [];
  const findingRows: FindingReportRow[] = [];
  for (const c of cases) {
    const r = c.result_json ? (JSON.parse(c.result_json) as CheckResult) : null;
    const f = r?.form?.fields ?? {};
    const failed = (r?.findings ?? []).filter((x) => !x.passed);
    const suggestion = suggestDirection(profile, `${c.title} ${f.caseName ?? ''}`);
    caseRows.push({
      id: c.id,
      caseNo: c.case_no,
      status: label(VERDICT_LABELS, c.status),
      verdict: label(VERDICT_LABELS, c.verdict),
      override: label(VERDICT_LABELS, c.verdict_override),
      overrideReason: c.override_reason ?? '',
      organization: c.organization,
      title: c.title,
      direction: c.direction ?? '',
      suggestedDirection: suggestion ? `${suggestion.direction} / ${suggestion.subDirection}` : '',
      applicantType: c.applicant_type ?? '',
      contactName: f.contactName ?? '',
      contactPhone: f.contactPhone ?? '',
      contactEmail: f.contactEmail ?? '',
      implementedAt: f.implementedAt ?? '',
      reportChars: r?.report?.chars ?? null,
      logo: r?.logo
        ? `${r.logo.width}×${r.logo.height} px, ${Math.round(r.logo.bytes / 1024)} KB`
        : '',
      receivedAt: beijingTime(c.received_at),
      submissions: Number(c.n ?? 0),
      failedRules: failed.map((x) => x.rule).join(', '),
    });
    for (const x of failed) {
      findingRows.push({
        caseNo: c.case_no,
        organization: c.organization,
        rule: x.rule,
        severity: x.severity,
        message: x.message,
        receivedAt: beijingTime(c.received_at),
      });
    }
  }
  return { cases: caseRows, findings: findingRows };
}
