// LOGO_DIMENSIONS (error): width and height must each lie between 400 and 1500 px (seed
// §三.3.4: 像素介于400*400-1500*1500之间), bounds included.
import type { Rule } from '../types.js';
import { logoDoubt, notApplicable, pass, quoteFile, unlessDoubt } from './finding.js';

export const logoDimensions: Rule = {
  code: 'LOGO_DIMENSIONS',
  severity: 'error',
  check(submission, profile) {
    const { logo } = submission;
    if (!logo) return notApplicable('商标图片');
    if (!logo.image)
      return pass('无法读取商标图片的尺寸，本项不适用（见附件无法打开的提示）', {
        applicable: false,
      });
    // EXIF orientation 5–8 shows the picture turned by 90°: judge what the applicant sees.
    const turned = logo.image.orientation !== undefined && logo.image.orientation >= 5;
    const width = turned ? logo.image.height : logo.image.width;
    const height = turned ? logo.image.width : logo.image.height;
    const { minWidth, maxWidth, minHeight, maxHeight } = profile.logo;
    const details = { width, height, minWidth, maxWidth, minHeight, maxHeight };
    const ok = width >= minWidth && width <= maxWidth && height >= minHeight && height <= maxHeight;
    const range =
      minWidth === minHeight && maxWidth === maxHeight
        ? `宽和高均在 ${minWidth}–${maxWidth} 像素之间`
        : `宽在 ${minWidth}–${maxWidth}、高在 ${minHeight}–${maxHeight} 像素之间`;
    if (ok) return pass(`商标图片为 ${width}×${height} 像素，符合${range}的要求`, details);
    return unlessDoubt(
      logoDoubt(submission, profile.filenameKeywords),
      `商标图片${quoteFile(logo.entry)}为 ${width}×${height} 像素，要求${range}`,
      details,
      '，请调整尺寸后重新发送',
    );
  },
};
