// When no separate report is attached, the report is often written into the form itself under
// a heading such as 案例报告 / 案例介绍, or in the cell beside such a label (seed §三.2 allows
// either). The section's labels come from the contest profile.
import type { ContestProfile } from '../config/contest.js';
import { countChars } from '../documents/count.js';
import type { DocumentRead, Submission, WordContent } from '../types.js';
import { normalizeLabel } from './form-fields.js';

// `三、`, `（二）`, `2.`, `第三部分` before a heading.
const NUMBERING =
  /^(?:第?[一二三四五六七八九十\d]+[部分章节]?[、.．)）]?|[（(][一二三四五六七八九十\d]+[)）])\s*/u;

/** `三、案例报告（3000-5000字）` is a section heading for the label `案例报告`. */
function isSectionHeading(text: string, labels: string[]): boolean {
  const t = normalizeLabel(text.replace(NUMBERING, ''));
  return labels.some((l) => t.startsWith(l) && t.length <= l.length + 12);
}

/**
 * Everything after a heading paragraph, tables included (the metrics table of 量化成效分析):
 * Word's 字数统计 counts table cells, so the report's count must too. `inTables` is what of it
 * the tables hold: they may also be a pledge or signature table after the report.
 */
function fromParagraphs(word: WordContent, labels: string[]): { text: string; inTables: string } {
  const start = word.paragraphs.findIndex((p) => isSectionHeading(p, labels));
  if (start < 0) return { text: '', inTables: '' };
  const after: string[] = [];
  const cells: string[] = [];
  let t = word.tableStarts.findIndex((at) => at > start);
  if (t < 0) t = word.tables.length;
  for (let i = start + 1; i <= word.paragraphs.length; i++) {
    for (; t < word.tables.length && (word.tableStarts[t] ?? 0) <= i; t++) {
      for (const row of word.tables[t] ?? []) {
        for (const cell of row) {
          after.push(cell.text);
          cells.push(cell.text);
        }
      }
    }
    if (i < word.paragraphs.length) after.push(word.paragraphs[i] ?? '');
  }
  return { text: after.join('\n').trim(), inTables: cells.join('\n') };
}

function fromTables(word: WordContent, labels: string[]): string {
  let best = '';
  for (const table of word.tables) {
    table.forEach((row, r) => {
      row.forEach((cell, c) => {
        if (!isSectionHeading(cell.text, labels)) return;
        let right = c + 1;
        while (right < row.length && row[right]?.text === cell.text) right += 1;
        const candidates = [row[right]?.text ?? '', table[r + 1]?.[c]?.text ?? ''];
        for (const text of candidates) if (text.trim().length > best.length) best = text.trim();
      });
    });
  }
  return best;
}

/** The report section of the form, or null when the form has none with any text. */
export function reportFromForm(doc: DocumentRead, profile: ContestProfile): Submission['report'] {
  if (!doc.word) return null;
  const labels = profile.report.formSectionLabels.map(normalizeLabel);
  const found = [
    fromParagraphs(doc.word, labels),
    { text: fromTables(doc.word, labels), inTables: '' },
  ]
    .map((f) => ({ ...f, count: countChars(f.text) }))
    .sort((a, b) => b.count.total - a.count.total)[0];
  if (!found || found.count.total === 0) return null;
  const { text, count } = found;
  return { source: 'form', doc, text, count, inTables: countChars(found.inTables).total };
}
