// ATTACHMENT_UNREADABLE (review): a document could not be opened — corrupt, encrypted, an
// archive format we do not unpack, too large. What it held is unknown, so a person looks.
import type { Rule } from '../types.js';
import { fail, pass, quoteFile } from './finding.js';

const KINDS = new Set(['unreadable', 'encrypted', 'unsupported', 'too_large']);

export const attachmentUnreadable: Rule = {
  code: 'ATTACHMENT_UNREADABLE',
  severity: 'review',
  check({ documents, mail }) {
    if (mail.structureError) {
      // The parser's words are for the organisers (details), not the applicant's letter.
      return fail('review', '邮件结构无法解析，附件未能读取，需人工查看原邮件', {
        structureError: mail.structureError,
      });
    }
    const problems = documents.flatMap((d) =>
      d.problems.filter((p) => KINDS.has(p.kind)).map((p) => ({ doc: d, problem: p })),
    );
    if (problems.length === 0)
      return pass(`${documents.length} 个附件均可正常打开`, { files: documents.length });
    const text = problems
      .map(({ doc, problem }) => `${quoteFile(doc.entry)}：${problem.message}`)
      .join('；');
    return fail('review', `以下附件无法打开：${text}`, {
      files: problems.map(({ doc, problem }) => ({
        filename: doc.entry.filename,
        insideArchive: doc.entry.insideArchive,
        kind: problem.kind,
      })),
    });
  },
};
