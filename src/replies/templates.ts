// Reply templates live in config/replies/ so organisers can reword them without code: per kind
// a `<kind>.txt` (first line `Subject: …`, then the plain-text body) and a `<kind>.html` body,
// plus `fixes.json` (how to fix each failed rule). Placeholders are `{{name}}`; a section
// `{{#name}}…{{/name}}` appears only when `name` is non-empty. Lists render as numbered lines in
// text and as <ol> in HTML; every value is HTML-escaped in the HTML part.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/env.js';

export const REPLY_KINDS = ['ack', 'rejection', 'late', 'review', 'update', 'decision'] as const;
export type ReplyKind = (typeof REPLY_KINDS)[number];

export const DEFAULT_TEMPLATE_DIR = new URL('../../config/replies', import.meta.url).pathname;

/** Every placeholder a template may use; anything else is a typo caught at start-up. */
export const PLACEHOLDERS = [
  'contest',
  'caseNo',
  'organization',
  'title',
  'receivedAt',
  'deadline',
  'deadlineNote',
  'received',
  'warnings',
  'problems',
  'questions',
  'status',
  'changes',
  'previousReceivedAt',
  'verdictLabel',
  'reason',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Partial<Record<Placeholder, string | string[]>>;

interface Template {
  subject: string;
  text: string;
  html: string;
}

export interface Templates {
  render(kind: ReplyKind, values: TemplateValues): { subject: string; text: string; html: string };
  /** How to fix a failed rule, or undefined. */
  fix(rule: string): string | undefined;
}

const TAG = /\{\{([#/]?)([A-Za-z]+)\}\}/g;

export function loadTemplates(dir: string = DEFAULT_TEMPLATE_DIR): Templates {
  const problems: string[] = [];
  const read = (file: string) => {
    try {
      return readFileSync(path.join(dir, file), 'utf8');
    } catch (err) {
      problems.push(`reply template ${path.join(dir, file)}: ${(err as Error).message}`);
      return '';
    }
  };
  const templates = new Map<ReplyKind, Template>();
  for (const kind of REPLY_KINDS) {
    const txt = read(`${kind}.txt`).replace(/\r\n/g, '\n');
    const m = /^Subject:[ \t]*(.+)\n\n?/.exec(txt);
    if (txt && !m) problems.push(`reply template ${kind}.txt: the first line must be "Subject: …"`);
    const t = {
      subject: m?.[1]?.trim() ?? '',
      text: m ? txt.slice(m[0].length) : txt,
      html: read(`${kind}.html`),
    };
    for (const [part, body] of Object.entries(t)) {
      for (const [, , name] of body.matchAll(TAG)) {
        if (!(PLACEHOLDERS as readonly string[]).includes(name ?? '')) {
          problems.push(`reply template ${kind} (${part}): unknown placeholder {{${name}}}`);
        }
      }
    }
    templates.set(kind, t);
  }
  let fixes: Record<string, string> = {};
  const fixText = read('fixes.json');
  try {
    if (fixText) fixes = JSON.parse(fixText) as Record<string, string>;
  } catch (err) {
    problems.push(`reply template fixes.json: not valid JSON: ${(err as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    render(kind, values) {
      const t = templates.get(kind);
      if (!t) throw new Error(`no reply template for ${kind}`);
      return {
        // A header line: no list markup, no line breaks.
        subject: fill(t.subject, values, (v) => flat(v).replace(/\s+/g, ' ')),
        text: tidy(fill(t.text, values, textValue)),
        html: wrapHtml(fill(t.html, values, htmlValue)),
      };
    },
    fix: (rule) => fixes[rule],
  };
}

function fill(template: string, values: TemplateValues, show: (v: string | string[]) => string) {
  const present = (name: string) => {
    const v = values[name as Placeholder];
    return Array.isArray(v) ? v.length > 0 : Boolean(v);
  };
  const sections = template.replace(
    /\{\{#([A-Za-z]+)\}\}\n?([\s\S]*?)\{\{\/\1\}\}\n?/g,
    (_all, name: string, inner: string) => (present(name) ? inner : ''),
  );
  return sections.replace(TAG, (_all, _mark, name: string) =>
    show(values[name as Placeholder] ?? ''),
  );
}

const flat = (v: string | string[]) => (Array.isArray(v) ? v.join('；') : v);

function textValue(v: string | string[]): string {
  return Array.isArray(v) ? v.map((line, i) => `  ${i + 1}. ${line}`).join('\n') : v;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlValue(v: string | string[]): string {
  if (!Array.isArray(v)) return escapeHtml(v);
  return `<ol>${v.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ol>`;
}

/** At most one blank line in a row, one final newline. */
function tidy(text: string): string {
  return `${text.replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

function wrapHtml(body: string): string {
  return `<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"></head><body>\n${body.trim()}\n</body></html>\n`;
}
