// LOGO_FORMAT (error): the logo must be JPG (seed §三.3.4). Judged by content (sharp's format,
// else the detected type), never by the file name: a PNG renamed .jpg fails.
import type { Rule } from '../types.js';
import { fail, notApplicable, pass, quoteFile } from './finding.js';

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
  check({ logo }, profile) {
    if (!logo) return notApplicable('商标图片');
    const format = logo.image?.format ?? logo.detectedType;
    const details = { format, required: profile.logo.format };
    if (format === profile.logo.format) return pass(`商标图片为 ${shown(format)} 格式`, details);
    return fail(
      'error',
      `商标图片${quoteFile(logo.entry)}实际为 ${shown(format)} 格式，要求 ${shown(profile.logo.format)} 格式（请另存为 JPG，而不是只修改扩展名）`,
      details,
    );
  },
};
