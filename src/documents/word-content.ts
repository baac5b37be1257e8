// Shapes shared by the .docx and .doc readers: their limits, checkbox choices out of cell text,
// and the WordContent built from body blocks in document order.
import type { ContestProfile } from '../config/contest.js';
import type { TableCell, WordContent } from '../types.js';
import type { WorkerLimits } from './worker.js';

/**
 * A Word file's run in the documents worker: stopped past the documents' timeout, under the
 * worker's one memory cap (the PDFs' limit: the worker is one for every file it reads).
 */
export const wordLimits = (
  limits: ContestProfile['limits'],
  clock?: WorkerLimits['clock'],
): WorkerLimits => ({
  timeoutMs: limits.documentTimeoutMs,
  maxMemoryMb: limits.pdf.maxMemoryMb,
  clock,
});

// Glyphs Chinese forms use for ticked and empty boxes (typed, Wingdings, or content controls,
// which the readers turn into ☑/☐ first: word-tree.mjs).
const CHECKED = '☑☒■▣◼✓✔√';
const UNCHECKED = '□☐◻';
const BOX = new RegExp(`([${CHECKED}${UNCHECKED}])`, 'u');

/**
 * "☑持牌金融机构 □金融科技公司" or "初中 □ 高中 ☑" → choices. Forms put the box before the label
 * or after it; a line that starts with a box is read box-first, any other line label-first.
 */
export function parseChoices(text: string): TableCell['choices'] {
  const choices: TableCell['choices'] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(BOX);
    if (parts.length < 3) continue;
    const boxFirst = (parts[0] ?? '').trim() === '';
    for (let i = 1; i < parts.length; i += 2) {
      const checked = CHECKED.includes(parts[i] ?? '');
      const label = boxFirst
        ? ((parts[i + 1] ?? '').trim().split(/\s{2,}/)[0] ?? '')
        : (lastWord(parts[i - 1] ?? '') ?? '');
      if (label) choices.push({ label: label.trim(), checked });
    }
  }
  return choices;
}

/** The label just before a box: after the last run of spaces or colon ("是否调剂：是□"). */
const lastWord = (s: string) =>
  s
    .split(/\s+|[:：]/)
    .filter((w) => w.length > 0)
    .pop();

/**
 * Spaces at a line's end. The lookbehind starts a match only where a run starts: `[ ]+$` alone
 * tries again from each space of a run that ends in text, quadratic in the run (a cell of a
 * million spaces and a letter held the thread for minutes).
 */
const TRAILING_SPACE = /(?<![ \t\r\u00a0])[ \t\r\u00a0]+$/gm;

export function makeCell(text: string): TableCell {
  const clean = text.replace(TRAILING_SPACE, '').trim();
  return { text: clean, choices: parseChoices(clean) };
}

/** A body block in document order: a paragraph's text, or a table. */
export type Block = { paragraph: string; heading?: boolean } | { table: TableCell[][] };

export function buildWordContent(blocks: Block[]): WordContent {
  const paragraphs: string[] = [];
  const tables: TableCell[][][] = [];
  const tableStarts: number[] = [];
  const headings: string[] = [];
  const text: string[] = [];
  for (const block of blocks) {
    if ('table' in block) {
      tables.push(block.table);
      tableStarts.push(paragraphs.length);
      for (const row of block.table) for (const cell of row) if (cell.text) text.push(cell.text);
      continue;
    }
    const p = block.paragraph.trimEnd();
    paragraphs.push(p);
    if (p) text.push(p);
    if (block.heading && p.trim()) headings.push(p.trim());
  }
  return { paragraphs, tables, tableStarts, text: text.join('\n'), headings };
}
