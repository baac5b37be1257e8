// The report as CSV (RFC 4180) with a UTF-8 byte-order mark: without it Excel opens the file
// as the ANSI code page and shows Chinese as mojibake.
import type { CaseReportRow } from './rows.js';
import { CASE_COLUMNS } from './rows.js';

export const UTF8_BOM = '\uFEFF';

function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  // A cell starting with = + - @ is a formula to Excel (CSV injection, OWASP): make it text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function casesToCsv(rows: CaseReportRow[]): string {
  const lines = [CASE_COLUMNS.map((c) => cell(c.header)).join(',')];
  for (const r of rows) lines.push(CASE_COLUMNS.map((c) => cell(r[c.key])).join(','));
  return `${UTF8_BOM}${lines.join('\r\n')}\r\n`;
}
