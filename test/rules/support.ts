// Builders for rule tests: real image files made with ImageMagick and read by the real document
// reader, and a Submission assembled from them, so rules see what production sees.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadContest } from '../../src/config/contest.js';
import { countChars } from '../../src/documents/count.js';
import { readOne } from '../../src/documents/index.js';
import { parseSubject } from '../../src/submission/subject.js';
import type {
  DocumentRead,
  FormFields,
  ParsedMail,
  Role,
  Submission,
  WordContent,
} from '../../src/types.js';

export const profile = loadContest();

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'intake-rules-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs ImageMagick `convert args… out` in `dir` and returns the file's bytes. */
export function magick(dir: string, name: string, args: string[]): Buffer {
  const out = path.join(dir, name);
  execFileSync('convert', [...args, out], { stdio: 'ignore' });
  return readFileSync(out);
}

/** Reads bytes through the real document reader; one DocumentRead for a plain file. */
export async function read(filename: string, content: Buffer): Promise<DocumentRead> {
  const [doc] = await readOne(filename, content, profile);
  if (!doc) throw new Error(`no document read for ${filename}`);
  return doc;
}

export function mail(
  subject = '某某银行+智能风控平台',
  attachments: ParsedMail['attachments'] = [],
): ParsedMail {
  return {
    messageId: '<t@example.cn>',
    subject,
    from: { name: '张三', address: 'zhang@example.cn' },
    replyTo: null,
    to: [{ name: '', address: profile.mailbox ?? 'intake@example.cn' }],
    date: null,
    receivedDates: [],
    headers: {},
    contentType: 'multipart/mixed',
    text: '',
    attachments,
    forwarded: false,
    warnings: [],
  };
}

export function wordDoc(
  filename: string,
  word: Partial<WordContent>,
  detectedType: DocumentRead['detectedType'] = 'docx',
): DocumentRead {
  const content = Buffer.from(filename);
  return {
    entry: {
      filename,
      declaredType: null,
      content,
      bytes: content.length,
      sha256: 'x',
      insideArchive: null,
    },
    detectedType,
    word: { paragraphs: [], tables: [], tableStarts: [], text: '', headings: [], ...word },
    problems: [],
  };
}

export const goodFields: FormFields = {
  caseName: '智能风控平台',
  organization: '某某银行',
  contactName: '张三',
  contactPhone: '13800000000',
  contactEmail: 'zhang@example.cn',
  implementedAt: '2024-03',
  applicantType: '持牌金融机构',
  direction: '数字风控体系',
};

/** A Submission built by hand around the given parts; unspecified parts are absent. */
export function submission(parts: {
  subject?: string;
  receivedAt?: Date;
  fields?: FormFields;
  reportText?: string;
  logo?: DocumentRead;
  scan?: DocumentRead;
  documents?: DocumentRead[];
}): Submission {
  const formDoc = parts.fields ? wordDoc('申报表.docx', {}) : null;
  const reportDoc =
    parts.reportText !== undefined ? wordDoc('案例报告.docx', { text: parts.reportText }) : null;
  const documents = [formDoc, reportDoc, parts.logo, parts.scan, ...(parts.documents ?? [])].filter(
    (d): d is DocumentRead => !!d,
  );
  const roles = new Map<DocumentRead, Role>();
  if (formDoc) roles.set(formDoc, 'form');
  if (reportDoc) roles.set(reportDoc, 'report');
  if (parts.logo) roles.set(parts.logo, 'logo');
  if (parts.scan) roles.set(parts.scan, 'scan');
  const m = mail(parts.subject);
  return {
    receivedAt: parts.receivedAt ?? new Date('2025-10-18T09:12:00+08:00'),
    kind: 'submission',
    mail: m,
    subject: parseSubject(m.subject, profile),
    documents,
    roles,
    form:
      formDoc && parts.fields
        ? { doc: formDoc, fields: parts.fields, labelsFound: Object.keys(parts.fields).length }
        : null,
    report:
      reportDoc && parts.reportText !== undefined
        ? {
            source: 'attachment',
            doc: reportDoc,
            text: parts.reportText,
            count: countChars(parts.reportText),
          }
        : null,
    logo: parts.logo ?? null,
    scan: parts.scan ?? null,
    evidence: [],
  };
}

/** Chinese text of exactly `n` 字. */
export const chars = (n: number) =>
  '创新背景目标技术方案架构实施过程难点成效可复制推广'.repeat(Math.ceil(n / 25)).slice(0, n);

/**
 * A real .docx (or, named so, a Word 97 .doc) written by LibreOffice from HTML (a private
 * profile, so parallel runs don't clash).
 */
export function wordFromHtml(dir: string, name: string, html: string): Buffer {
  const ext = name.endsWith('.doc') ? 'doc' : 'docx';
  const base = name.slice(0, -(ext.length + 1));
  const src = path.join(dir, `${base}.html`);
  writeFileSync(src, `<html><head><meta charset="utf-8"></head><body>${html}</body></html>`);
  execFileSync(
    'soffice',
    [
      `-env:UserInstallation=file://${dir}/lo-profile`,
      '--headless',
      '--convert-to',
      ext === 'doc' ? 'doc:MS Word 97' : 'docx:MS Word 2007 XML',
      '--outdir',
      dir,
      src,
    ],
    { stdio: 'ignore', timeout: 90_000 },
  );
  return readFileSync(path.join(dir, `${base}.${ext}`));
}
