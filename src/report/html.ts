// `intake report --format html`: the validation report as one self-contained HTML file (inline
// CSS, no scripts, no external resources) that can be mailed or archived.
import { html } from '../web/views/html.js';
import { STYLE } from '../web/views/layout.js';
import {
  CASE_COLUMNS,
  type CaseReportRow,
  FINDING_COLUMNS,
  type FindingReportRow,
} from './rows.js';

export function reportToHtml(
  rows: { cases: CaseReportRow[]; findings: FindingReportRow[] },
  meta: { contestName: string; generatedAt: string },
): string {
  const byStatus = new Map<string, number>();
  for (const c of rows.cases) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${meta.contestName} · 校验报告</title><style>${STYLE}</style></head>
<body><main>
<h1>${meta.contestName} · 校验报告</h1>
<p class="muted">生成时间（北京）：${meta.generatedAt}；共 ${rows.cases.length} 个案例</p>
<div class="cards">${[...byStatus].map(([s, n]) => html`<div class="card">${s}<b>${n}</b></div>`)}</div>
<h2>案例</h2><div class="panel"><table>
<tr>${CASE_COLUMNS.map((c) => html`<th>${c.header}</th>`)}</tr>
${rows.cases.map((r) => html`<tr>${CASE_COLUMNS.map((c) => html`<td>${r[c.key]}</td>`)}</tr>`)}
</table></div>
<h2>问题清单</h2><div class="panel"><table>
<tr>${FINDING_COLUMNS.map((c) => html`<th>${c.header}</th>`)}</tr>
${rows.findings.map((r) => html`<tr>${FINDING_COLUMNS.map((c) => html`<td>${r[c.key]}</td>`)}</tr>`)}
</table></div>
</main></body></html>
`.value;
}
