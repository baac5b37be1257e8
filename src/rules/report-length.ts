// REPORT_LENGTH (error, sometimes review): the report must have 3000–5000 字 (seed §三.3.2),
// counted as Word counts. Our count of a converted document can differ from Word's by a few
// characters, so within reviewMarginPercent outside a bound a person decides, not the rule; so
// does a person when the report was only guessed (the longest text of an unnamed file).
import { nameHas } from '../config/contest.js';
import type { Rule } from '../types.js';
import { fail, formatNumber, notApplicable, pass, quoteFile } from './finding.js';

export const reportLength: Rule = {
  code: 'REPORT_LENGTH',
  severity: 'error',
  check({ report }, profile) {
    if (!report) return notApplicable('案例报告');
    const chars = report.count.total;
    const { minChars, maxChars, reviewMarginPercent } = profile.report;
    const margin = reviewMarginPercent / 100;
    const where = report.source === 'form' ? '（申报表中的案例报告部分）' : '';
    const details = { chars, minChars, maxChars, source: report.source };
    const found = `案例报告${where} ${formatNumber(chars)} 字`;
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
    // Taken for the longest text among files no name calls a report, it may be another document
    // altogether (a brochure, a PDF of press cuttings): its count is no ground to reject.
    const guessed =
      report.source === 'attachment' &&
      !nameHas(report.doc.entry.filename, profile.filenameKeywords.report);
    if (guessed) {
      return fail(
        'review',
        `${found}（取自${quoteFile(report.doc.entry)}，文件名未表明是案例报告），${required}；将由工作人员人工核查`,
        { ...details, guessed: true },
      );
    }
    const advice = chars < minChars ? '请补充内容后重新发送' : '请精简内容后重新发送';
    return fail('error', `${found}，${required}，${advice}`, details);
  },
};
