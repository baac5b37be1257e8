// Reads the application form's fields (seed §三.1: 案例名称、实施单位、联系人…). Real forms are
// label/value tables (label left of its value, or above it), `标签：值` lines, and ☑/■
// checkboxes for the applicant type and direction; labels vary, so every synonym comes from the
// contest profile.
import type { ContestProfile, FormFieldName } from '../config/contest.js';
import type { FormFields, TableCell, WordContent } from '../types.js';

type LabelIndex = Map<string, FormFieldName>;

const CHECKED = '☑☒■✓✔√▣◼●';
const UNCHECKED = '□☐○◯';
const CHOICE_FIELDS = new Set<FormFieldName>(['applicantType', 'direction']);

/** A label as written in a cell, reduced to what identifies it: `* 联系人（必填）：` → `联系人`. */
export function normalizeLabel(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[(（][^()（）]*[)）]/gu, '') // （必填）, (选填), （盖章）
    .replace(/[\s*:：★※]/gu, '')
    .toLowerCase();
}

function labelIndex(profile: ContestProfile): LabelIndex {
  const index: LabelIndex = new Map();
  for (const [field, spec] of Object.entries(profile.form.fields)) {
    for (const label of spec.labels) index.set(normalizeLabel(label), field as FormFieldName);
  }
  return index;
}

/** `2024年3月` / `2024.03` / `2024-3` / `2024/3/15` / `2024年3月15日` → `2024-03` or `2024-03-15`. */
export function normalizeDate(s: string): string | null {
  const text = (s ?? '').normalize('NFKC');
  const m = /(\d{4})\s*(?:年|[.\-/])\s*(\d{1,2})(?:\s*(?:月|[.\-/])\s*(\d{1,2})\s*日?)?/u.exec(
    text,
  );
  if (!m) return null;
  const month = Number(m[2]);
  if (month < 1 || month > 12) return null;
  const ym = `${m[1]}-${String(month).padStart(2, '0')}`;
  const day = m[3] === undefined ? 0 : Number(m[3]);
  if (day < 1 || day > 31) return ym;
  return `${ym}-${String(day).padStart(2, '0')}`;
}

/** Checked choices from the cell's checkboxes, or from ☑/■ marks in its text. */
function checkedChoices(cell: TableCell | string): string[] | null {
  if (typeof cell !== 'string' && cell.choices.length > 0) {
    return cell.choices.filter((c) => c.checked).map((c) => c.label.trim());
  }
  const text = typeof cell === 'string' ? cell : cell.text;
  if (!new RegExp(`[${CHECKED}${UNCHECKED}]`, 'u').test(text)) return null;
  const found: string[] = [];
  const re = new RegExp(`[${CHECKED}]\\s*([^${CHECKED}${UNCHECKED}\\n]+)`, 'gu');
  for (const m of text.matchAll(re)) {
    const label = (m[1] ?? '').replace(/(?<![\s,，;；、])[\s,，;；、]+$/u, '').trim();
    if (label) found.push(label);
  }
  return found;
}

function fieldValue(field: FormFieldName, cell: TableCell | string): string {
  if (CHOICE_FIELDS.has(field)) {
    const choices = checkedChoices(cell);
    if (choices) return choices.join('、');
  }
  const text = (typeof cell === 'string' ? cell : cell.text).trim();
  if (field === 'implementedAt') return normalizeDate(text) ?? text;
  return text;
}

class Collector {
  readonly fields: FormFields = {};
  readonly labels = new Set<FormFieldName>();
  set(field: FormFieldName, value: string): void {
    this.labels.add(field);
    if (!this.fields[field]) this.fields[field] = value;
  }
}

function readTables(tables: TableCell[][][], index: LabelIndex, out: Collector): void {
  for (const table of tables) {
    table.forEach((row, r) => {
      row.forEach((cell, c) => {
        const field = index.get(normalizeLabel(cell.text));
        if (!field) return;
        // Merged label cells are repeated: the value is the next cell with other text.
        let right = c + 1;
        while (right < row.length && row[right]?.text === cell.text) right += 1;
        const rightCell = row[right];
        if (rightCell && !index.has(normalizeLabel(rightCell.text))) {
          out.set(field, fieldValue(field, rightCell));
          return;
        }
        const below = table[r + 1]?.[c];
        if (below && !index.has(normalizeLabel(below.text)))
          out.set(field, fieldValue(field, below));
        else out.set(field, '');
      });
      for (const cell of row) readLine(cell.text, index, out);
    });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `联系人：张三  电话：138…` — every `label：` starts a value that runs to the next label. */
function readLine(
  line: string,
  index: LabelIndex,
  out: Collector,
  labels = linePattern(index),
): void {
  const text = line.normalize('NFKC');
  const hits = [...text.matchAll(labels)];
  hits.forEach((m, i) => {
    const field = index.get(normalizeLabel(m[2] ?? ''));
    if (!field || m.index === undefined) return;
    const start = m.index + m[0].length;
    const end = hits[i + 1]?.index ?? text.length;
    out.set(field, fieldValue(field, text.slice(start, end).trim()));
  });
}

const patterns = new WeakMap<LabelIndex, RegExp>();
function linePattern(index: LabelIndex): RegExp {
  let re = patterns.get(index);
  if (!re) {
    const alternatives = [...index.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    re = new RegExp(
      `(^|[\\s,，;；。、|])[*★]?(${alternatives.join('|')})\\s*(?:[(（][^()（）]*[)）]\\s*)?[:：]`,
      'giu',
    );
    patterns.set(index, re);
  }
  return re;
}

/** The form's fields and how many distinct field labels the document carries. */
export function readFormFields(
  word: WordContent,
  profile: ContestProfile,
): { fields: FormFields; labelsFound: number } {
  const index = labelIndex(profile);
  const out = new Collector();
  readTables(word.tables, index, out);
  for (const paragraph of word.paragraphs) {
    // .doc tables come through word-extractor as tab-separated lines: read them as rows too.
    if (paragraph.includes('\t')) {
      const row = paragraph.split('\t').map((text) => ({ text: text.trim(), choices: [] }));
      readTables([[row]], index, out);
    } else {
      readLine(paragraph, index, out);
    }
  }
  return { fields: out.fields, labelsFound: out.labels.size };
}
