// ATTACHMENT_SUSPICIOUS (review): content disagrees with the name or declared type (a program
// named .pdf), executables, documents with macros. Harmless look-alikes — a .doc that is
// really .docx, as WPS writes, or .jpg vs .jpeg — are not flagged: they are everyday mail.
import type { DetectedType, DocumentRead, Rule } from '../types.js';
import { fail, pass, quoteFile } from './finding.js';

type Family = 'word' | 'pdf' | 'image' | 'archive' | 'sheet' | 'slides' | 'program' | 'video';
const BY_TYPE: Partial<Record<DetectedType, Family>> = {
  docx: 'word',
  docm: 'word',
  doc: 'word',
  wps: 'word',
  pdf: 'pdf',
  jpeg: 'image',
  png: 'image',
  gif: 'image',
  bmp: 'image',
  tiff: 'image',
  webp: 'image',
  zip: 'archive',
  rar: 'archive',
  '7z': 'archive',
  xlsx: 'sheet',
  xls: 'sheet',
  pptx: 'slides',
  ppt: 'slides',
  exe: 'program',
  video: 'video',
};
const BY_EXTENSION: Record<string, Family> = {
  docx: 'word',
  doc: 'word',
  docm: 'word',
  wps: 'word',
  dot: 'word',
  dotx: 'word',
  rtf: 'word',
  pdf: 'pdf',
  jpg: 'image',
  jpeg: 'image',
  jfif: 'image',
  png: 'image',
  gif: 'image',
  bmp: 'image',
  tif: 'image',
  tiff: 'image',
  webp: 'image',
  zip: 'archive',
  rar: 'archive',
  '7z': 'archive',
  xlsx: 'sheet',
  xls: 'sheet',
  et: 'sheet',
  pptx: 'slides',
  ppt: 'slides',
  dps: 'slides',
  exe: 'program',
  msi: 'program',
  bat: 'program',
  cmd: 'program',
  scr: 'program',
  js: 'program',
  vbs: 'program',
  mp4: 'video',
  mov: 'video',
  avi: 'video',
  wmv: 'video',
};

// The reader flags every name/content disagreement; this rule owns the policy of which ones
// matter, so the reader's own type-mismatch notes are re-judged here by family.
const READER_MISMATCH = /的扩展名是 \./u;
// OOXML files are zip packages: a broken .docx reads as a zip. That is ATTACHMENT_UNREADABLE's
// finding, not a disguise.
const OOXML = new Set(['docx', 'docm', 'xlsx', 'pptx']);

/** Why this file needs a person's look, each reason a full sentence; [] when it is ordinary. */
function reasons(doc: DocumentRead): string[] {
  const ext = /\.([^.]+)$/.exec(doc.entry.filename)?.[1]?.toLowerCase() ?? '';
  const named = BY_EXTENSION[ext];
  const actual = BY_TYPE[doc.detectedType];
  const out = doc.problems
    .filter((p) => p.kind === 'suspicious' && !READER_MISMATCH.test(p.message))
    .map((p) => p.message);
  const has = (word: string) => out.some((m) => m.includes(word));
  const program = doc.detectedType === 'exe' || named === 'program';
  if (program) {
    if (!has('可执行')) out.push(`附件${quoteFile(doc.entry)}是可执行程序，不能作为申报材料`);
  } else if (doc.detectedType === 'docm') {
    if (!has('宏')) out.push(`附件${quoteFile(doc.entry)}是含宏的文档，请另存为不含宏的 .docx`);
  } else if (named && actual && named !== actual && !(actual === 'archive' && OOXML.has(ext))) {
    const found = doc.detectedType.toUpperCase();
    out.push(`附件${quoteFile(doc.entry)}的扩展名为 .${ext}，但内容实际为 ${found} 格式`);
  }
  return out;
}

export const attachmentSuspicious: Rule = {
  code: 'ATTACHMENT_SUSPICIOUS',
  severity: 'review',
  check({ documents }) {
    const flagged = documents
      .map((doc) => ({ doc, why: reasons(doc) }))
      .filter((f) => f.why.length > 0);
    if (flagged.length === 0) return pass('未发现可疑附件', {});
    const text = flagged.flatMap((f) => f.why).join('；');
    return fail('review', `以下附件需人工核查：${text}`, {
      files: flagged.map((f) => ({
        filename: f.doc.entry.filename,
        detectedType: f.doc.detectedType,
        reasons: f.why,
      })),
    });
  },
};
