// Login, overview and case-list pages.
import {
  beijingTime,
  formatBytes,
  label,
  REPLY_STATE_LABELS,
  VERDICT_LABELS,
} from '../../report/labels.js';
import type { CaseFilter, CaseListItem } from '../../store/case-search.js';
import type { Overview } from '../../store/overview.js';
import { perDayChart } from './chart.js';
import { html } from './html.js';
import { page, tag } from './layout.js';

export function loginPage(o: { csrf: string; error?: string; next?: string }): string {
  return page(
    { title: '登录' },
    html`<div class="panel" style="max-width:360px;margin:3rem auto">
      <h1>登录审核台</h1>
      ${o.error ? html`<p class="alert">${o.error}</p>` : ''}
      <form method="post" action="/login" style="display:grid;gap:.7rem">
        <input type="hidden" name="_csrf" value="${o.csrf}">
        <input type="hidden" name="next" value="${o.next ?? '/'}">
        <label>用户名<input name="username" autocomplete="username" required></label>
        <label>密码<input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">登录</button>
      </form></div>`,
  );
}

export interface OverviewView {
  overview: Overview;
  depths: Record<string, Record<string, number>> | null;
  deadlineDay: string;
  contestName: string;
}

const QUEUE_LABELS: Record<string, string> = { process: '校验队列', reply: '回复队列' };

export function overviewPage(v: OverviewView, user: string, csrf: string): string {
  const o = v.overview;
  const statusCards = ['accepted', 'rejected', 'needs_review', 'withdrawn'].map(
    (
      s,
    ) => html`<a class="card" href="/cases?status=${s}" style="text-decoration:none;color:inherit">
      ${label(VERDICT_LABELS, s)}<b>${o.byStatus[s] ?? 0}</b></a>`,
  );
  const verdictRows = Object.entries(o.byVerdict).map(
    ([k, n]) => html`<tr><td>${tag(k, label(VERDICT_LABELS, k))}</td><td>${n}</td></tr>`,
  );
  const mailboxRows = o.mailboxes.map(
    (m) => html`<tr><td>${m.mailbox}</td><td>${beijingTime(m.lastPollAt) || '尚未成功'}</td>
      <td class="${m.lastError ? 'error' : 'ok'}">${m.lastError ? html`${beijingTime(m.lastErrorAt)}：${m.lastError}` : '正常'}</td></tr>`,
  );
  const queueRows = v.depths
    ? Object.entries(v.depths).map(
        ([
          q,
          c,
        ]) => html`<tr><td>${QUEUE_LABELS[q] ?? q}</td><td>${c.waiting ?? 0}</td><td>${c.active ?? 0}</td>
          <td>${c.delayed ?? 0}</td><td class="${c.failed ? 'error' : ''}">${c.failed ?? 0}</td></tr>`,
      )
    : html`<tr><td colspan="5" class="error">无法连接 Redis，队列状态未知</td></tr>`;
  const replyTrouble = o.troubledReplies.map(
    (r) => html`<tr><td>${r.caseId ? html`<a href="/cases/${r.caseId}">#${r.caseId}</a>` : '—'}</td>
      <td>${label(REPLY_STATE_LABELS, r.state)}</td><td>${r.recipient ?? ''}</td><td>${r.reason ?? ''}</td></tr>`,
  );
  const unfetchedRows = o.unfetchedMessages.map(
    (m) => html`<tr><td>${m.mailbox}</td><td>${m.uid}</td><td>${beijingTime(m.receivedAt)}</td>
      <td>${m.size === null ? '' : formatBytes(m.size)}</td><td class="error">${m.error}</td>
      <td><form method="post" action="/unfetched/${m.id}/resolve"><input type="hidden" name="_csrf" value="${csrf}"><button>已手工导入</button></form></td></tr>`,
  );
  const failedMsgs = o.failedMessages.map(
    (m) =>
      html`<tr><td>${m.id}</td><td>${m.originalName ?? ''}</td><td class="error">${m.lastError ?? ''}</td></tr>`,
  );
  return page(
    { title: '概览', user, csrf },
    html`<h1>${v.contestName}</h1>
    <div class="cards">${statusCards}
      <div class="card">收到邮件<b>${Object.values(o.messages).reduce((a, b) => a + b, 0)}</b></div></div>
    <h2>每日收到的申报</h2><div class="panel">${perDayChart(o.perDay, v.deadlineDay)}</div>
    <div class="grid2">
      <div><h2>各次提交的校验结论</h2><div class="panel"><table><tr><th>结论</th><th>份数</th></tr>${verdictRows}</table></div></div>
      <div><h2>邮箱收取</h2><div class="panel"><table><tr><th>邮箱</th><th>上次成功收取</th><th>连接问题</th></tr>
        ${mailboxRows.length ? mailboxRows : html`<tr><td colspan="3" class="muted">未配置 IMAP（使用投递文件夹或导入）</td></tr>`}</table></div></div>
    </div>
    ${
      unfetchedRows.length
        ? html`<h2>未能收取的邮件</h2><div class="panel">
      <p class="error">以下邮件多次下载失败，已跳过，以免耽误其后的邮件。它们仍在邮箱中：请在邮箱里找到每一封，另存为 .eml 文件，再用 <code>intake import</code> 导入，然后点“已手工导入”。</p>
      <table><tr><th>邮箱</th><th>UID</th><th>到达时间</th><th>大小</th><th>错误</th><th></th></tr>${unfetchedRows}</table></div>`
        : ''
    }
    <h2>队列</h2><div class="panel"><table><tr><th>队列</th><th>等待</th><th>处理中</th><th>延迟</th><th>失败</th></tr>${queueRows}</table>
      <p class="muted">回复：${
        Object.entries(o.replies)
          .map(([s, n]) => `${label(REPLY_STATE_LABELS, s)} ${n}`)
          .join('，') || '暂无'
      }</p></div>
    <h2>未发送或发送失败的回复</h2><div class="panel"><table><tr><th>案例</th><th>状态</th><th>收件人</th><th>原因</th></tr>
      ${replyTrouble.length ? replyTrouble : html`<tr><td colspan="4" class="muted">无</td></tr>`}</table></div>
    <h2>处理失败的邮件</h2><div class="panel"><table><tr><th>编号</th><th>来源</th><th>错误</th></tr>
      ${failedMsgs.length ? failedMsgs : html`<tr><td colspan="3" class="muted">无</td></tr>`}</table></div>`,
  );
}

export interface CaseListView {
  filter: CaseFilter;
  rows: CaseListItem[];
  total: number;
  page: number;
  pageSize: number;
  directions: string[];
  applicantTypes: string[];
}

function options(values: string[], selected: string | undefined, labels?: Record<string, string>) {
  return values.map(
    (v) =>
      html`<option value="${v}" ${v === selected ? 'selected' : ''}>${labels ? label(labels, v) : v}</option>`,
  );
}

export function caseListPage(v: CaseListView, user: string, csrf: string): string {
  const f = v.filter;
  const qs = (page: number) => {
    const p = new URLSearchParams();
    for (const [k, val] of Object.entries({ ...f, page, pageSize: undefined }))
      if (val) p.set(k, String(val));
    return `/cases?${p}`;
  };
  const pages = Math.max(1, Math.ceil(v.total / v.pageSize));
  const rows = v.rows.map(
    (r) => html`<tr>
      <td><a href="/cases/${r.id}">${r.caseNo}</a></td>
      <td>${tag(r.status, label(VERDICT_LABELS, r.status))}${r.verdictOverride ? html` <span class="muted">人工</span>` : ''}</td>
      <td class="hide-sm">${tag(r.verdict, label(VERDICT_LABELS, r.verdict))}</td>
      <td>${r.organization}</td><td><a href="/cases/${r.id}">${r.title}</a></td>
      <td class="hide-sm">${r.direction ?? ''}</td><td class="hide-sm">${r.applicantType ?? ''}</td>
      <td class="hide-sm">${beijingTime(r.receivedAt)}</td><td class="hide-sm">${r.submissionCount}</td></tr>`,
  );
  return page(
    { title: '案例', user, csrf },
    html`<h1>案例（${v.total}）</h1>
    <form class="filters panel" method="get" action="/cases">
      <label>搜索单位或题目<input name="q" value="${f.q ?? ''}" placeholder="单位、题目或编号"></label>
      <label>状态<select name="status"><option value="">全部</option>${options(['accepted', 'rejected', 'needs_review', 'withdrawn'], f.status, VERDICT_LABELS)}</select></label>
      <label>校验结论<select name="verdict"><option value="">全部</option>${options(['accepted', 'rejected', 'needs_review'], f.verdict, VERDICT_LABELS)}</select></label>
      <label>方向<select name="direction"><option value="">全部</option>${options(v.directions, f.direction)}</select></label>
      <label>主体类型<select name="applicantType"><option value="">全部</option>${options(v.applicantTypes, f.applicantType)}</select></label>
      <label>排序<select name="sort"><option value="newest">最新在前</option><option value="oldest" ${f.sort === 'oldest' ? 'selected' : ''}>最早在前</option></select></label>
      <button type="submit">筛选</button> <a href="/cases">清除</a>
    </form>
    <div class="panel"><table><thead><tr><th>编号</th><th>状态</th><th class="hide-sm">校验结论</th><th>申报单位</th><th>案例题目</th>
      <th class="hide-sm">方向</th><th class="hide-sm">主体类型</th><th class="hide-sm">收到时间</th><th class="hide-sm">提交</th></tr></thead>
      <tbody>${rows.length ? rows : html`<tr><td colspan="9" class="muted">没有符合条件的案例</td></tr>`}</tbody></table></div>
    <div class="pager">${v.page > 1 ? html`<a href="${qs(v.page - 1)}">上一页</a>` : ''}
      <span>第 ${v.page} / ${pages} 页</span>${v.page < pages ? html`<a href="${qs(v.page + 1)}">下一页</a>` : ''}</div>`,
  );
}
