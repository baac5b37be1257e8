// SEAL_NOT_DETECTED (warning): the stamped scan shows no red seal. A colour heuristic on images
// (a grey scan of a real seal fails it), so a warning. Images and PDFs whose pages the reader
// rendered are judged; a scan nobody evaluated is not.
import type { Rule } from '../types.js';
import { fail, notApplicable, pass, quoteFile } from './finding.js';

export const sealNotDetected: Rule = {
  code: 'SEAL_NOT_DETECTED',
  severity: 'warning',
  check({ scan }) {
    if (!scan) return notApplicable('盖章扫描件');
    const redSeal = scan.image?.redSeal ?? scan.pdf?.redSeal ?? null;
    if (redSeal === null) return pass('未对扫描件做印章检测，本项不适用', { evaluated: false });
    if (redSeal)
      return pass(`扫描件${quoteFile(scan.entry)}中检测到红色印章`, { evaluated: true, redSeal });
    return fail(
      'warning',
      `扫描件${quoteFile(scan.entry)}中未检测到红色印章，请确认申报表已加盖单位公章并以彩色扫描`,
      { evaluated: true, redSeal },
    );
  },
};
