// One case in full: what the form says, the report, the logo, every finding, every file, every
// version, every reply and the audit log, and the organiser's actions.
import type { SuggestedDirection } from '../../report/directions.js';
import {
  beijingTime,
  FIELD_LABELS,
  formatBytes,
  label,
  REPLY_KIND_LABELS,
  REPLY_STATE_LABELS,
  ROLE_LABELS,
  SEVERITY_LABELS,
  VERDICT_LABELS,
} from '../../report/labels.js';
import type { CaseDetail, SubmissionDetail } from '../../store/case-detail.js';
import type { ReportText } from '../evaluate.js';
import { html, type SafeHtml } from './html.js';
import { page, tag } from './layout.js';

export interface CaseView {
  detail: CaseDetail;
  report: ReportText | null;
  suggested: SuggestedDirection | null;
  notice?: string;
  error?: string;
}

const AUDIT_LABELS: Record<string, string> = {
  created: '创建案例',
  filed: '收录提交',
  superseded: '被新提交替代',
  verdict_overridden: '人工改判',
  withdrawn: '标记撤回',
  reprocessed: '重新校验',
  status_changed: '状态变化',
  decision: '排入决定通知',
};

const SEVERITY_ORDER = ['error', 'review', 'warning', 'info'];

function findingsTable(s: SubmissionDetail): SafeHtml {
  const sorted = [...s.findings].sort(
    (a, b) =>
      Number(a.passed) - Number(b.passed) ||
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity),
  );
  return html`<table><tr><th>检查</th><th>级别</th><th>结果</th><th>说明</th></tr>${sorted.map(
    (f) => html`<tr><td>${f.rule}</td><td>${label(SEVERITY_LABELS, f.severity)}</td>
      <td class="${f.passed ? 'ok' : f.severity}">${f.passed ? '通过' : '未通过'}</td><td>${f.message}</td></tr>`,
  )}</table>`;
}

function failedSet(s: SubmissionDetail) {
  return new Set(s.findings.filter((f) => !f.passed).map((f) => f.rule));
}

/** What changed from the previous version: rules that started or stopped failing. */
function changes(prev: SubmissionDetail | undefined, s: SubmissionDetail): string {
  if (s.duplicateOf) return '与此前邮件完全相同（重复）';
  if (!prev) return '首次提交';
  const a = failedSet(prev);
  const b = failedSet(s);
  const added = [...b].filter((r) => !a.has(r) && r !== 'RESUBMISSION');
  const fixed = [...a].filter((r) => !b.has(r) && r !== 'RESUBMISSION');
  const parts = [];
  if (fixed.length) parts.push(`已改正：${fixed.join('、')}`);
  if (added.length) parts.push(`新问题：${added.join('、')}`);
  return parts.join('；') || '检查结果未变化';
}

function actions(d: CaseDetail, csrf: string): SafeHtml {
  const c = d.case;
  return html`<div class="grid2">
    <form class="panel" method="post" action="/cases/${c.id}/override" style="display:grid;gap:.5rem">
      <h2 style="margin-top:0">人工改判</h2>
      <input type="hidden" name="_csrf" value="${csrf}">
      <label>结论<select name="verdict" required>
        <option value="accepted">通过</option><option value="rejected">退回</option><option value="needs_review">待人工审核</option></select></label>
      <label>理由（必填，记入审计日志；发送决定通知时也写入通知，申报人可见）<textarea name="reason" rows="3" required></textarea></label>
      <label style="flex-direction:row;gap:.4rem;align-items:center"><input type="checkbox" name="sendReply" value="1"> 向申报人发送决定通知</label>
      <button type="submit">保存改判</button></form>
    <div class="panel" style="display:grid;gap:.8rem;align-content:start">
      <form method="post" action="/cases/${c.id}/reprocess"><input type="hidden" name="_csrf" value="${csrf}">
        <h2 style="margin-top:0">重新校验</h2><p class="muted">规则或配置变更后，用当前规则重新检查本案例的全部提交。</p>
        <button type="submit">重新校验</button></form>
      <form method="post" action="/cases/${c.id}/withdraw" style="display:grid;gap:.4rem"><input type="hidden" name="_csrf" value="${csrf}">
        <h2 style="margin-top:0">标记撤回</h2>
        <label>说明（可选）<input name="reason"></label>
        <button class="secondary" type="submit" ${c.status === 'withdrawn' ? 'disabled' : ''}>标记为已撤回</button></form>
    </div></div>`;
}

export function casePage(v: CaseView, user: string, csrf: string): string {
  const d = v.detail;
  const c = d.case;
  const current = d.submissions.find((s) => s.id === c.currentSubmissionId) ?? d.submissions.at(-1);
  const r = current?.result;
  const fields = r?.form?.fields ?? {};
  const logoAtt = current?.attachments.find((a) => a.role === 'logo');
  const versions = d.submissions.map(
    (s, i) => html`<tr><td>#${s.id}${s.id === c.currentSubmissionId ? html` <b>当前</b>` : ''}</td>
      <td>${beijingTime(s.receivedAt)}</td><td>${tag(s.verdict, label(VERDICT_LABELS, s.verdict))}</td>
      <td>${s.fromAddress ?? ''}</td><td>${changes(d.submissions[i - 1], s)}</td></tr>`,
  );
  const body = html`
    <p><a href="/cases">← 返回案例列表</a></p>
    ${v.notice ? html`<p class="notice">${v.notice}</p>` : ''}${v.error ? html`<p class="alert">${v.error}</p>` : ''}
    <h1>${c.caseNo} · ${c.title}</h1>
    <p>${c.organization} &nbsp; 状态 ${tag(c.status, label(VERDICT_LABELS, c.status))}
      &nbsp; 自动校验 ${tag(c.verdict, label(VERDICT_LABELS, c.verdict))}
      ${c.verdictOverride ? html`<br><span class="muted">人工改判为「${label(VERDICT_LABELS, c.verdictOverride)}」，理由：${c.overrideReason}</span>` : ''}</p>
    <div class="grid2">
      <div class="panel"><h2 style="margin-top:0">申报表</h2><dl>
        ${Object.entries(FIELD_LABELS).map(([k, l]) => html`<dt>${l}</dt><dd>${(fields as Record<string, string>)[k] ?? html`<span class="muted">未读到</span>`}</dd>`)}
        <dt>建议方向</dt><dd>${v.suggested ? html`${v.suggested.direction} / ${v.suggested.subDirection} <span class="muted">（关键词：${v.suggested.keywords.join('、')}）</span>` : html`<span class="muted">无匹配关键词</span>`}</dd>
        <dt>邮件主题</dt><dd>${r?.subject.raw ?? ''}</dd></dl></div>
      <div class="panel"><h2 style="margin-top:0">商标</h2>
        ${logoAtt ? html`<img class="logo" alt="商标" src="/files/${logoAtt.id}/view">` : html`<p class="muted">未找到商标图片</p>`}
        ${r?.logo ? html`<p>${r.logo.filename}：${r.logo.format.toUpperCase()}，${formatBytes(r.logo.bytes)}（${r.logo.bytes} 字节），${r.logo.width} × ${r.logo.height} 像素</p>` : ''}</div>
    </div>
    <div class="panel"><h2 style="margin-top:0">案例报告</h2>
      ${
        r?.report
          ? html`<p>${r.report.filename}（${r.report.source === 'form' ? '申报表中的报告部分' : '单独的报告文件'}）：<b>${r.report.chars}</b> 字</p>
        ${v.report ? html`<div class="excerpt">${v.report.excerpt}${v.report.text.length > v.report.excerpt.length ? '……' : ''}</div>` : ''}`
          : html`<p class="muted">未找到报告正文</p>`
      }</div>
    <h2>检查结果（当前提交）</h2><div class="panel">${current ? findingsTable(current) : '无'}</div>
    <h2>附件</h2><div class="panel"><table><tr><th>文件名</th><th>识别为</th><th>用途</th><th>大小</th><th class="hide-sm">所在压缩包</th><th></th></tr>
      ${(current?.attachments ?? []).map(
        (
          a,
        ) => html`<tr><td>${a.filename}</td><td>${a.detectedType}</td><td>${label(ROLE_LABELS, a.role)}</td>
        <td>${formatBytes(a.bytes)}</td><td class="hide-sm">${a.insideArchive ?? ''}</td><td><a href="/files/${a.id}">下载</a></td></tr>`,
      )}</table></div>
    <h2>全部提交（版本）</h2><div class="panel"><table><tr><th>提交</th><th>收到时间</th><th>结论</th><th>发件人</th><th>变化</th></tr>${versions}</table></div>
    <h2>回复</h2><div class="panel"><table><tr><th>提交</th><th>类型</th><th>状态</th><th>收件人</th><th>时间</th><th>说明</th></tr>
      ${
        d.replies.length
          ? d.replies.map(
              (
                x,
              ) => html`<tr><td>#${x.submissionId}</td><td>${label(REPLY_KIND_LABELS, x.kind.replace(/^(decision-.*)-\d+$/, '$1'))}</td><td>${label(REPLY_STATE_LABELS, x.state)}</td>
        <td>${x.recipient ?? ''}</td><td>${beijingTime(x.sentAt ?? x.createdAt)}</td><td>${x.suppressedReason ?? x.lastError ?? ''}</td></tr>`,
            )
          : html`<tr><td colspan="6" class="muted">暂无回复</td></tr>`
      }</table></div>
    ${actions(d, csrf)}
    <h2>审计日志</h2><div class="panel"><table><tr><th>时间</th><th>操作人</th><th>操作</th><th>详情</th></tr>
      ${d.audit.map(
        (
          a,
        ) => html`<tr><td>${beijingTime(a.at)}</td><td>${a.actor}</td><td>${label(AUDIT_LABELS, a.action)}</td>
        <td class="muted" style="word-break:break-all">${a.entity} #${a.entityId ?? ''} ${a.detail ? JSON.stringify(a.detail) : ''}</td></tr>`,
      )}</table></div>`;
  return page({ title: `${c.caseNo} ${c.title}`, user, csrf }, body);
}
