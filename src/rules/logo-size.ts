// LOGO_SIZE (error): the logo file must be smaller than 200 KB (seed §三.3.4: 小于200kb, with
// 1 KB = 1024 bytes), so exactly the maximum already fails.
import type { Rule } from '../types.js';
import { formatNumber, logoDoubt, notApplicable, pass, quoteFile, unlessDoubt } from './finding.js';

function kb(bytes: number): string {
  const value = bytes / 1024;
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1);
}

export const logoSize: Rule = {
  code: 'LOGO_SIZE',
  severity: 'error',
  check(submission, profile) {
    const { logo } = submission;
    if (!logo) return notApplicable('商标图片');
    const { bytes } = logo.entry;
    const max = profile.logo.maxBytes;
    const details = { bytes, maxBytes: max };
    // 204,288 to 205,311 bytes round to "200 KB": the bytes too, or the message looks wrong.
    const size =
      kb(bytes) === kb(max) ? `${kb(bytes)} KB（${formatNumber(bytes)} 字节）` : `${kb(bytes)} KB`;
    if (bytes < max) return pass(`商标图片 ${size}，小于 ${kb(max)} KB 上限`, details);
    return unlessDoubt(
      logoDoubt(submission, profile.filenameKeywords),
      `商标图片${quoteFile(logo.entry)} ${size}，${bytes === max ? `须小于 ${kb(max)} KB` : `超过 ${kb(max)} KB 上限`}`,
      details,
      '，请压缩后重新发送',
    );
  },
};
