// REPORT_LENGTH (error, sometimes review): the report must have 3000–5000 字 (seed §三.3.2),
// counted as Word counts. Our count of a converted document can differ from Word's by a few
// characters, so within reviewMarginPercent outside a bound a person decides, not the rule; so
// does a person when the text counted may not be the report (`reportDoubt`).
import { type ContestProfile, nameHas } from '../config/contest.js';
import { countChars } from '../documents/count.js';
import { isTextDocument, LONG_TEXT } from '../submission/assemble.js';
import { reportFromForm } from '../submission/report-section.js';
import type { DocumentRead, Rule, Submission } from '../types.js';
import {
  fail,
  formatNumber,
  notApplicable,
  pass,
  quoteFile,
  unlessDoubt,
  unplaced,
  unseenContent,
} from './finding.js';

/** 字 a PDF page's header, footer and page number may add, at most (a long running title). */
const PDF_FURNITURE_PER_PAGE = 60;
/**
 * 字 what follows the report section in a form may add in paragraphs: a pledge, a seal's line, a
 * date. Its tables (a signature table) may add all they hold: the report's own tables are in the
 * count too, as Word counts them, and the two cannot be told apart.
 */
const FORM_TAIL = 600;

/**
 * Why the text counted may not be the report, or null. The assembly picks by name first, then
 * by length: a `第三方评估报告.pdf` beats an unnamed `案例正文.docx`, and a form's `详见附件`
 * is counted when no attachment looks like a report. The rule's message names the file counted,
 * so this names only others.
 */
function reportDoubt(submission: Submission, profile: ContestProfile): string | null {
  const report = submission.report;
  if (!report) return null;
  const kw = profile.filenameKeywords;
  const { minChars, maxChars, reviewMarginPercent } = profile.report;
  const margin = reviewMarginPercent / 100;
  const fits = (text: string) => {
    const n = countChars(text).total;
    return n >= minChars * (1 - margin) && n <= maxChars * (1 + margin);
  };
  // Text that is not the report's body can only add to a count, and only so much: a little
  // too long may be ours, too short or far too long is the report's.
  const over = (furniture: number) =>
    report.count.total > maxChars && report.count.total <= maxChars + furniture;
  if (report.source === 'attachment') {
    const { doc } = report;
    if (!nameHas(doc.entry.filename, kw.report)) return '其文件名未表明是案例报告';
    if (doc.pdf && doc.pdf.imageOnlyPages > 0)
      return `其中 ${doc.pdf.imageOnlyPages} 页为扫描图像，图中文字未计入`;
    // Word leaves headers, footers and page numbers out; a PDF's text does not tell them apart.
    if (doc.pdf && over(doc.pdf.pages * PDF_FURNITURE_PER_PAGE))
      return 'PDF 的页眉、页脚和页码无法与正文区分，已一并计入';
    const inForm = submission.form && reportFromForm(submission.form.doc, profile);
    if (inForm && fits(inForm.text)) return '申报表中的案例报告部分字数符合要求，可能才是案例报告';
  } else if (report.count.total < LONG_TEXT) {
    // As short as the assembly would not take a separate file for the report by its length.
    return '申报表中的这部分可能只是摘要或“详见附件”一类的说明';
  } else if (over(FORM_TAIL + (report.inTables ?? 0))) {
    // The section is counted to the form's end (`reportFromForm`).
    return '申报表中案例报告部分之后的内容（如承诺、签章、日期）可能一并计入';
  }
  const unseen = unseenContent(submission);
  if (unseen) return unseen;
  const other = unplaced(
    submission,
    (d: DocumentRead) =>
      isTextDocument(d) &&
      (fits(d.word?.text ?? d.pdf?.text ?? '') ||
        (!!d.pdf && d.pdf.imageOnlyPages === d.pdf.pages && nameHas(d.entry.filename, kw.report))),
    kw.evidence,
  );
  return other ? `${quoteFile(other.entry)}可能才是案例报告` : null;
}

export const reportLength: Rule = {
  code: 'REPORT_LENGTH',
  severity: 'error',
  check(submission, profile) {
    const { report } = submission;
    if (!report) return notApplicable('案例报告');
    const chars = report.count.total;
    const { minChars, maxChars, reviewMarginPercent } = profile.report;
    const margin = reviewMarginPercent / 100;
    const counted =
      report.source === 'form'
        ? `申报表${quoteFile(report.doc.entry)}中的案例报告部分`
        : `案例报告${quoteFile(report.doc.entry)}`;
    const details = { chars, minChars, maxChars, source: report.source };
    const found = `${counted} ${formatNumber(chars)} 字`;
    const required = `要求 ${minChars}–${maxChars} 字`;
    if (chars >= minChars && chars <= maxChars) return pass(`${found}，符合${required}`, details);
    const near =
      chars < minChars ? chars >= minChars * (1 - margin) : chars <= maxChars * (1 + margin);
    if (near) {
      return fail(
        'review',
        `${found}，${required}；与限值相差不足 ${reviewMarginPercent}%，将由工作人员人工核对字数`,
        {
          ...details,
          nearBound: true,
        },
      );
    }
    const advice = chars < minChars ? '，请补充内容后重新发送' : '，请精简内容后重新发送';
    return unlessDoubt(reportDoubt(submission, profile), `${found}，${required}`, details, advice);
  },
};
