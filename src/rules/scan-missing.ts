// SCAN_MISSING (error): the call requires a 盖章扫描件 (seed §四.1). Found by name (盖章/扫描…),
// as an image-only PDF, or as a picture with a red seal. A picture or PDF placed nowhere and not
// named as something else may be it (a grey scan, a PDF with a text layer): then `review`.
import type { Rule } from '../types.js';
import { missing, pass, quoteFile, unplaced } from './finding.js';

export const scanMissing: Rule = {
  code: 'SCAN_MISSING',
  severity: 'error',
  check(submission, profile) {
    const { scan } = submission;
    if (scan)
      return pass(`已找到盖章扫描件${quoteFile(scan.entry)}`, { filename: scan.entry.filename });
    const kw = profile.filenameKeywords;
    return missing(
      submission,
      '附件中未找到盖章扫描件，请附上加盖单位公章的申报表扫描件（PDF 或图片）',
      unplaced(submission, (d) => d.image !== undefined || d.pdf !== undefined, [
        ...kw.logo,
        ...kw.evidence,
      ]),
    );
  },
};
