// LOGO_MISSING (error): the call asks for a trademark image (seed §三.3.4). Assembly finds it by
// name (商标/logo/标识…) or as the only picture that is not a scan. A picture placed nowhere
// and not named as something else may be it: then the failure is `review` (finding.ts).
import type { Rule } from '../types.js';
import { missing, pass, quoteFile, unplaced } from './finding.js';

export const logoMissing: Rule = {
  code: 'LOGO_MISSING',
  severity: 'error',
  check(submission, profile) {
    const { logo } = submission;
    if (logo)
      return pass(`已找到商标图片${quoteFile(logo.entry)}`, { filename: logo.entry.filename });
    const kw = profile.filenameKeywords;
    return missing(
      submission,
      '附件中未找到商标图片，请附上 JPG 格式的高清商标图（文件名含“商标”或“logo”为佳）',
      unplaced(submission, (d) => d.image !== undefined, [...kw.scan, ...kw.evidence]),
    );
  },
};
