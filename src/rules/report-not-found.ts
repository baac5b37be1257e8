// REPORT_NOT_FOUND (review): no report text could be located — neither a separate document nor
// a report section of the form. Review, not error: the report may be a scan we cannot read or
// sit under a heading we do not know.
import type { Rule } from '../types.js';
import { fail, pass, quoteFile } from './finding.js';

export const reportNotFound: Rule = {
  code: 'REPORT_NOT_FOUND',
  severity: 'review',
  check({ report }) {
    if (report) {
      const where =
        report.source === 'form'
          ? `申报表${quoteFile(report.doc.entry)}中的案例报告部分`
          : quoteFile(report.doc.entry);
      return pass(`已找到案例报告：${where}`, {
        source: report.source,
        filename: report.doc.entry.filename,
      });
    }
    return fail(
      'review',
      '未能找到案例报告（3000–5000 字的文字内容），将由工作人员人工核对；如未附案例报告，请补充发送',
      {},
    );
  },
};
