// Shapes shared by the .docx and .doc readers: checkbox choices out of cell text, and the
// WordContent built from body blocks in document order.
import type { TableCell, WordContent } from '../types.js';

// Glyphs Chinese forms use for ticked and empty boxes (typed, Wingdings, or content controls,
// which the readers turn into ☑/☐ first).
const CHECKED = '☑☒■▣◼✓✔√';
const UNCHECKED = '□☐◻';
const BOX = new RegExp(`([${CHECKED}${UNCHECKED}])`, 'u');

/** Symbol-font letters that Word shows as boxes (font "Wingdings 2" "R" is ☑, "£" is □). */
const SYMBOL_FONTS: Record<string, Record<string, string>> = {
  'wingdings 2': { R: '☑', S: '☒', T: '☒', '£': '□', '\uf052': '☑', '\uf0a3': '□' },
  wingdings: { þ: '☑', ý: '☒', '¨': '□', o: '□', '\uf0fe': '☑', '\uf0a8': '□', '\uf06f': '□' },
};

export function symbolFontText(font: string | null, text: string): string {
  const map = font ? SYMBOL_FONTS[font.toLowerCase()] : undefined;
  if (!map) return text;
  return [...text].map((ch) => map[ch] ?? ch).join('');
}

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

export function makeCell(text: string): TableCell {
  const clean = text.replace(/[ \t\r\u00a0]+$/gm, '').trim();
  return { text: clean, choices: parseChoices(clean) };
}

/** A body block in document order: a paragraph's text, or a table. */
export type Block = { paragraph: string; heading?: boolean } | { table: TableCell[][] };

export function buildWordContent(blocks: Block[]): WordContent {
  const paragraphs: string[] = [];
  const tables: TableCell[][][] = [];
  const headings: string[] = [];
  const text: string[] = [];
  for (const block of blocks) {
    if ('table' in block) {
      tables.push(block.table);
      for (const row of block.table) for (const cell of row) if (cell.text) text.push(cell.text);
      continue;
    }
    const p = block.paragraph.replace(/\s+$/, '');
    paragraphs.push(p);
    if (p) text.push(p);
    if (block.heading && p.trim()) headings.push(p.trim());
  }
  return { paragraphs, tables, text: text.join('\n'), headings };
}
