// Submissions per day against the deadline, drawn server-side as SVG from numbers only (the
// labels are dates we format), so nothing user-supplied reaches the markup.
import { html, type SafeHtml } from './html.js';

const DAY = 86_400_000;

export function perDayChart(perDay: { day: string; n: number }[], deadlineDay: string): SafeHtml {
  const first = perDay[0]?.day ?? deadlineDay;
  const lastData = perDay.at(-1)?.day ?? deadlineDay;
  const last = lastData > deadlineDay ? lastData : deadlineDay;
  const start = Math.max(Date.parse(first), Date.parse(last) - 89 * DAY); // at most 90 days shown
  const days: string[] = [];
  for (let t = start; t <= Date.parse(last); t += DAY)
    days.push(new Date(t).toISOString().slice(0, 10));
  const counts = new Map(perDay.map((d) => [d.day, d.n]));
  const max = Math.max(1, ...days.map((d) => counts.get(d) ?? 0));
  const W = 720;
  const H = 200;
  const left = 30;
  const bottom = 24;
  const slot = (W - left - 10) / days.length;
  const y = (n: number) => H - bottom - (n / max) * (H - bottom - 16);
  const bars = days.map((d, i) => {
    const n = counts.get(d) ?? 0;
    const x = left + i * slot;
    const late = d > deadlineDay;
    return html`<rect x="${x + slot * 0.15}" y="${y(n)}" width="${Math.max(slot * 0.7, 1)}" height="${H - bottom - y(n)}" fill="${late ? '#e03131' : '#457b9d'}"><title>${d}：${n} 份</title></rect>`;
  });
  const step = Math.max(1, Math.ceil(days.length / 8));
  const ticks = days.map((d, i) =>
    i % step === 0 ? html`<text x="${left + i * slot}" y="${H - 6}">${d.slice(5)}</text>` : '',
  );
  const di = days.indexOf(deadlineDay);
  const dx = left + (di + 1) * slot;
  return html`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="每日收到的申报与截止日期">
    <line x1="${left}" y1="${H - bottom}" x2="${W - 10}" y2="${H - bottom}" stroke="#9aa5b1"/>
    <text x="2" y="${y(max) + 4}">${max}</text><text x="2" y="${H - bottom}">0</text>
    ${bars}${ticks}
    ${di >= 0 ? html`<line x1="${dx}" y1="8" x2="${dx}" y2="${H - bottom}" stroke="#e03131" stroke-dasharray="4 3"/><text x="${dx - 70}" y="14" style="fill:#e03131">截止 ${deadlineDay.slice(5)}</text>` : ''}
  </svg>`;
}
