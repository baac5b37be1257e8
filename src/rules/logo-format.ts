// LOGO_FORMAT (error): the logo must be JPG (seed §三.3.4). Judged by content (sharp's format,
// else the detected type), never by the file name: a PNG renamed .jpg fails.
import type { ContestProfile } from '../config/contest.js';
import type { Rule, Submission } from '../types.js';
import { besideLogo, logoDoubt, notApplicable, pass, quoteFile, unlessDoubt } from './finding.js';

const SHOWN: Record<string, string> = {
  jpeg: 'JPG',
  png: 'PNG',
  gif: 'GIF',
  webp: 'WebP',
  bmp: 'BMP',
  tiff: 'TIFF',
};
const shown = (format: string) => SHOWN[format] ?? format.toUpperCase();

export const logoFormat: Rule = {
  code: 'LOGO_FORMAT',
  severity: 'error',
  check(submission, profile) {
    const { logo } = submission;
    if (!logo) return notApplicable('商标图片');
    const format = logo.image?.format ?? logo.detectedType;
    const details = { format, required: profile.logo.format };
    if (format === profile.logo.format) return pass(`商标图片为 ${shown(format)} 格式`, details);
    // Content no reader recognises (a damaged file, a HEIC photo) is no format to judge.
    const doubt =
      format === 'unknown'
        ? '其内容无法识别为任何图片格式'
        : (logoDoubt(submission, profile.filenameKeywords) ?? jpegBeside(submission, profile));
    return unlessDoubt(
      doubt,
      `商标图片${quoteFile(logo.entry)}实际为 ${shown(format)} 格式，要求 ${shown(profile.logo.format)} 格式`,
      details,
      '（请另存为 JPG，而不是只修改扩展名）',
    );
  },
};

/**
 * A JPEG picture besides the logo that no name says is something else (商标.png and
 * 某某银行.jpg): it may be the logo as asked for, so the PNG's format decides nothing.
 */
function jpegBeside(s: Submission, profile: ContestProfile): string | null {
  const other = besideLogo(s, profile.filenameKeywords).find(
    (d) => (d.image?.format ?? d.detectedType) === 'jpeg',
  );
  return other ? `另附的 JPG 图片${quoteFile(other.entry)}也可能是商标图片` : null;
}
