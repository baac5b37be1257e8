// ATTACHMENT_SUSPICIOUS (review): content disagrees with the name or declared type (a program
// named .pdf), executables, documents with macros. Which disagreements matter is decided once,
// where files are read (src/documents/detect.ts): a .doc that is really .docx, as WPS writes,
// or a PNG named .jpg is everyday mail, not a disguise. This rule gathers what was flagged.
import type { Rule } from '../types.js';
import { fail, pass } from './finding.js';

export const attachmentSuspicious: Rule = {
  code: 'ATTACHMENT_SUSPICIOUS',
  severity: 'review',
  check({ documents }) {
    const flagged = documents
      .map((doc) => ({
        doc,
        why: doc.problems.filter((p) => p.kind === 'suspicious').map((p) => p.message),
      }))
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
