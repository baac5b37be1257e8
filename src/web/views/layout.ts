// The page frame: inline CSS (no front-end build), readable on a laptop and on a phone.
import { html, raw, type SafeHtml } from './html.js';

export const STYLE = raw(`
*{box-sizing:border-box}
body{margin:0;font:15px/1.6 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2933;background:#f5f7fa}
header{background:#1d3557;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header a{color:#fff;text-decoration:none}header strong{margin-right:1rem}
header form{margin-left:auto}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.7rem}
.card{background:#fff;border-radius:8px;padding:.7rem 1rem;box-shadow:0 1px 2px #0001}
.card b{display:block;font-size:1.5rem}
.panel{background:#fff;border-radius:8px;padding:.8rem 1rem;box-shadow:0 1px 2px #0001;margin-bottom:1rem;overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{background:#eef2f6;font-weight:600;white-space:nowrap}
.tag{display:inline-block;padding:0 .45rem;border-radius:4px;font-size:.85rem;white-space:nowrap}
.accepted{background:#d3f9d8;color:#1b5e20}.rejected{background:#ffe3e3;color:#a61e1e}
.needs_review{background:#fff3bf;color:#7a5200}.withdrawn,.not_submission{background:#e9ecef;color:#495057}
.error{color:#a61e1e}.review{color:#7a5200}.warning{color:#8a5a00}.info{color:#495057}.ok{color:#1b5e20}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
label{display:flex;flex-direction:column;font-size:.85rem;gap:.15rem}
input,select,textarea,button{font:inherit;padding:.35rem .5rem;border:1px solid #cbd2d9;border-radius:5px;background:#fff}
button{background:#1d3557;color:#fff;border-color:#1d3557;cursor:pointer}
button.secondary{background:#fff;color:#1d3557}
.muted{color:#616e7c;font-size:.9rem}.pager{display:flex;gap:1rem;margin:.8rem 0;align-items:center}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dt{color:#616e7c}dd{margin:0;word-break:break-all}
.logo{max-width:220px;max-height:220px;border:1px solid #e4e7eb;background:#fff}
.excerpt{white-space:pre-wrap;background:#f8f9fa;padding:.6rem;border-radius:5px;max-height:14rem;overflow:auto}
.alert{background:#ffe3e3;color:#a61e1e;padding:.5rem .8rem;border-radius:5px;margin:.5rem 0}
.notice{background:#d3f9d8;color:#1b5e20;padding:.5rem .8rem;border-radius:5px;margin:.5rem 0}
svg text{font-size:11px;fill:#616e7c}
@media (max-width:640px){main{padding:.5rem}th,td{padding:.3rem}.hide-sm{display:none}h1{font-size:1.15rem}}
`);

export interface PageOptions {
  title: string;
  user?: string;
  csrf?: string;
}

export function page(o: PageOptions, body: SafeHtml): string {
  const nav = o.user
    ? html`<header>
        <strong>案例征集 · 审核台</strong>
        <a href="/">概览</a><a href="/cases">案例</a><a href="/export.xlsx">导出 Excel</a>
        <a href="/export.csv">导出 CSV</a><a href="/admin/queues">队列</a>
        <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${o.csrf ?? ''}">
          <button class="secondary" type="submit">退出（${o.user}）</button></form>
      </header>`
    : html`<header><strong>案例征集 · 审核台</strong></header>`;
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title} · 案例征集审核台</title><style>${STYLE}</style></head>
<body>${nav}<main>${body}</main></body></html>`.value;
}

export const tag = (code: string | null, text: string) =>
  html`<span class="tag ${code ?? ''}">${text}</span>`;
