// FORM_MISSING (error): the call requires the electronic form "Word形式" (seed §四.1). A form
// sent only as PDF fails too, and the message says so, since a PDF cannot be read back into
// the organisers' records.
import { nameHas } from '../config/contest.js';
import type { Rule } from '../types.js';
import { fail, missing, pass, quoteFile, unplaced, unseenOrLinked } from './finding.js';

const WORD_NAME = /\.(docx?|docm|wps)$/i;

export const formMissing: Rule = {
  code: 'FORM_MISSING',
  severity: 'error',
  check(submission, profile) {
    const { form, documents } = submission;
    if (form) {
      return pass(`已找到申报表${quoteFile(form.doc.entry)}`, {
        filename: form.doc.entry.filename,
      });
    }
    // A PDF named as the form is one sent as PDF only, unless it is the stamped scan (申报表
    // 盖章版.pdf), or the Word form may be in content that went unread or came as a link.
    const kw = profile.filenameKeywords;
    const pdfForm =
      !unseenOrLinked(submission) &&
      documents.find(
        (d) =>
          d.detectedType === 'pdf' &&
          d !== submission.scan &&
          nameHas(d.entry.filename, kw.form) &&
          !nameHas(d.entry.filename, kw.scan),
      );
    if (pdfForm) {
      return fail(
        'error',
        `申报表${quoteFile(pdfForm.entry)}为 PDF 格式，请另附 Word 版（.docx 或 .doc）电子申报表`,
        {
          pdf: pdfForm.entry.filename,
        },
      );
    }
    // A file named as a Word document that was not read as one (an HTML page saved as .doc,
    // which Word and WPS open) may be the form; a Word file that was read is not one.
    return missing(
      submission,
      '附件中未找到 Word 版申报表（.docx 或 .doc），请附上填写完整的电子申报表',
      unplaced(submission, (d) => !d.word && WORD_NAME.test(d.entry.filename), [
        ...profile.filenameKeywords.report,
        ...profile.filenameKeywords.evidence,
      ]),
    );
  },
};
