// SCAN_MISSING (error): the call requires a 盖章扫描件 (seed §四.1). Found by name (盖章/扫描…),
// as an image-only PDF, or as a picture with a red seal. A picture or PDF placed nowhere and not
// named as something else may be it (a grey scan, a PDF with a text layer): then `review`; so
// may a file named as evidence that is a scan or shows a seal (证明材料.jpg, 专利证书.pdf).
import { nameHas } from '../config/contest.js';
import type { DocumentRead, Rule } from '../types.js';
import { missing, pass, quoteFile, unplaced } from './finding.js';

/** A picture with a red seal, or a PDF of scanned pages only. */
const looksScanned = (d: DocumentRead) =>
  d.image?.redSeal === true || (!!d.pdf && d.pdf.pages > 0 && d.pdf.imageOnlyPages === d.pdf.pages);

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
      ]) ??
        unplaced(
          submission,
          (d) => nameHas(d.entry.filename, kw.evidence) && looksScanned(d),
          kw.logo,
        ),
    );
  },
};
