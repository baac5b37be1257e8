// Chinese names for the codes organisers see, and the formatting every report shares.

export const VERDICT_LABELS: Record<string, string> = {
  accepted: '通过',
  rejected: '退回',
  needs_review: '待人工审核',
  not_submission: '非申报邮件',
  withdrawn: '已撤回',
};

export const ROLE_LABELS: Record<string, string> = {
  form: '申报表',
  report: '案例报告',
  logo: '商标',
  scan: '盖章扫描件',
  evidence: '证明文件',
  archive: '压缩包',
  other: '其他',
};

export const SEVERITY_LABELS: Record<string, string> = {
  error: '错误',
  review: '需审核',
  warning: '提醒',
  info: '信息',
};

export const REPLY_STATE_LABELS: Record<string, string> = {
  pending: '待发送',
  sent: '已发送',
  suppressed: '未发送（已抑制）',
  failed: '发送失败',
};

export const REPLY_KIND_LABELS: Record<string, string> = {
  ack: '受理确认',
  rejection: '退回通知',
  late: '逾期通知',
  review: '人工审核通知',
  update: '更新确认',
  'decision-accepted': '决定通知（通过）',
  'decision-rejected': '决定通知（退回）',
  'decision-needs_review': '决定通知（待审核）',
};

export const FIELD_LABELS: Record<string, string> = {
  caseName: '案例名称',
  organization: '申报单位',
  contactName: '联系人',
  contactPhone: '联系电话',
  contactEmail: '邮箱',
  implementedAt: '实施时间',
  applicantType: '申报主体类型',
  direction: '征集方向',
};

export const label = (table: Record<string, string>, code: string | null | undefined) =>
  code ? (table[code] ?? code) : '';

/** Beijing time, `2025-10-18 09:12`: the campaign's clock (DESIGN.md §1). */
export function beijingTime(iso: string | Date | null | undefined, offsetMinutes = 480): string {
  if (!iso) return '';
  const t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  if (Number.isNaN(t)) return '';
  return new Date(t + offsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
