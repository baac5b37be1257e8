// What a reply says, as template values: built from what the store holds about the submission
// (its CheckResult, the case, the submission it superseded) so a reply rendered at send time,
// or re-sent after a crash, says the same thing. Pure.
import type { ContestProfile } from '../config/contest.js';
import { localTime } from '../submission/time.js';
import type { CheckResult, Finding } from '../types.js';
import type { ReplyKind, Templates, TemplateValues } from './templates.js';

export interface ReplyFacts {
  kind: ReplyKind;
  caseNo: string | null;
  /** The case's organisation and title (the subject's, else the form's). */
  organization: string;
  title: string;
  receivedAt: Date;
  result: CheckResult;
  /** For an update: the submission this one superseded. */
  previous?: { receivedAt: Date; result: CheckResult } | null;
  /** For an organiser's decision. */
  decision?: { verdict: string; reason: string | null } | null;
}

/** Pipeline-only findings: facts about the filing, not about the material. */
const FILING_RULES = new Set(['RESUBMISSION', 'DUPLICATE']);

const failed = (r: CheckResult, severities: Finding['severity'][]) =>
  r.findings.filter(
    (f) => !f.passed && severities.includes(f.severity) && !FILING_RULES.has(f.rule),
  );

export const VERDICT_LABELS: Record<string, string> = {
  accepted: '已受理',
  rejected: '未通过形式审查',
  needs_review: '待人工审核',
};

export function replyValues(
  facts: ReplyFacts,
  profile: ContestProfile,
  templates: Templates,
  now: Date = new Date(),
): TemplateValues {
  const offset = profile.deadline.utcOffset;
  const { result } = facts;
  const problems = failed(result, ['error']).map((f) => withFix(f, templates));
  const values: TemplateValues = {
    contest: profile.name,
    caseNo: facts.caseNo ?? '（无编号）',
    organization: facts.organization || '申报单位',
    title: facts.title || result.subject.raw || '（无题目）',
    receivedAt: `${localTime(facts.receivedAt, offset)}（${zoneName(offset)}）`,
    deadline: deadlineText(profile),
    deadlineNote:
      now.getTime() <= profile.deadlineAt.getTime()
        ? `请修改后于截止时间前重新发送（截止时间：${deadlineText(profile)}）。`
        : `征集截止时间（${deadlineText(profile)}）已过，很遗憾本次申报已无法修改后重新提交。`,
    received: receivedList(result),
    warnings: [...failed(result, ['warning', 'info']).map((f) => f.message), ...result.warnings],
    // A late reply lists what else was wrong only for the record; LATE itself is the headline.
    problems: facts.kind === 'late' ? lateExtras(result, templates) : problems,
    questions: failed(result, ['review']).map((f) => f.message),
  };
  if (facts.kind === 'update') Object.assign(values, updateValues(facts, offset));
  if (facts.decision) {
    values.verdictLabel = VERDICT_LABELS[facts.decision.verdict] ?? facts.decision.verdict;
    values.reason = facts.decision.reason ?? '';
  }
  return values;
}

function withFix(f: Finding, templates: Templates): string {
  const fix = templates.fix(f.rule);
  return fix ? `${f.message}。修改方法：${fix}` : f.message;
}

function lateExtras(result: CheckResult, templates: Templates): string[] {
  const others = failed(result, ['error']).filter((f) => f.rule !== 'LATE');
  return others.length === 0
    ? []
    : ['另外，材料还存在以下问题（仅供参考）：', ...others.map((f) => withFix(f, templates))];
}

function receivedList(r: CheckResult): string[] {
  const items: string[] = [];
  if (r.form) items.push(`申报表：${r.form.filename}`);
  if (r.report) {
    const where =
      r.report.source === 'form'
        ? `申报表「${r.report.filename}」中的案例报告部分`
        : r.report.filename;
    items.push(`案例报告：${where}，共 ${r.report.chars.toLocaleString('en-US')} 字`);
  }
  if (r.logo) {
    const { filename, bytes, width, height } = r.logo;
    const pixels = width !== null && height !== null ? `，${width}×${height} 像素` : '';
    items.push(`商标：${filename}，${kb(bytes)} KB${pixels}`);
  }
  for (const a of r.attachments.filter((x) => x.role === 'scan'))
    items.push(`盖章扫描件：${a.filename}`);
  const evidence = r.attachments.filter((x) => x.role === 'evidence').map((x) => x.filename);
  if (evidence.length > 0) items.push(`证明材料：${evidence.join('、')}`);
  return items.length > 0 ? items : ['（未识别到申报材料附件）'];
}

function updateValues(facts: ReplyFacts, offset: string): TemplateValues {
  const status =
    facts.result.verdict === 'accepted'
      ? '本次提交已通过形式审查。'
      : facts.result.verdict === 'needs_review'
        ? '本次提交的部分事项将由工作人员人工核对。'
        : `本次提交：${VERDICT_LABELS[facts.result.verdict] ?? facts.result.verdict}。`;
  const prev = facts.previous;
  if (!prev) return { status, previousReceivedAt: '此前', changes: ['（未找到此前的提交记录）'] };
  const rules = (r: CheckResult) =>
    new Map(failed(r, ['error', 'review', 'warning']).map((f) => [f.rule, f.message] as const));
  const before = rules(prev.result);
  const after = rules(facts.result);
  const changes: string[] = [];
  for (const [rule, message] of before) if (!after.has(rule)) changes.push(`已解决：${message}`);
  for (const [rule, message] of after) if (!before.has(rule)) changes.push(`新出现：${message}`);
  for (const [rule, message] of after) if (before.has(rule)) changes.push(`仍存在：${message}`);
  if (changes.length === 0) changes.push('检查结果没有变化');
  return {
    status,
    previousReceivedAt: `${localTime(prev.receivedAt, offset)}（${zoneName(offset)}）`,
    changes,
  };
}

function kb(bytes: number): string {
  const value = bytes / 1024;
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1);
}

function zoneName(offset: string): string {
  return offset === '+08:00' ? '北京时间' : `UTC${offset}`;
}

/** `2025年10月20日 24:00（北京时间）`: the end of the deadline day, as the call words it. */
function deadlineText(profile: ContestProfile): string {
  const [y, m, d] = profile.deadline.date.split('-').map(Number);
  const grace = profile.deadline.graceMinutes;
  const extra = grace > 0 ? `，另有 ${grace} 分钟宽限` : '';
  return `${y}年${m}月${d}日 24:00 ${zoneName(profile.deadline.utcOffset)}${extra}`;
}
