// Image facts for the logo and scan rules, and the red-seal heuristic. The only importer of sharp.
// `metadata()` reads the header only (format, size): cheap even for a huge image; pixels are
// decoded only for the truncation check and for seal detection, always under a pixel cap.
import sharp from 'sharp';
import type { DocumentProblem, ImageContent } from '../types.js';

// libvips' operation cache (50 MB by default) pays off when one image is processed again; every
// attachment here is read once, so the cache only holds memory (issue 7: RSS budget).
sharp.cache(false);

export interface ImageOptions {
  /** Decode the whole image to find a truncated JPEG (only worth it for the logo). */
  checkTruncated?: boolean;
}

type Metadata = Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;

// EXIF orientations 5–8 turn the picture by 90°: the displayed width is the stored height.
const ROTATED = new Set([5, 6, 7, 8]);

export async function readImage(
  buf: Buffer,
  maxPixels: number,
  opts: ImageOptions = {},
): Promise<ImageContent | DocumentProblem> {
  let meta: Metadata;
  try {
    // Header only, so no pixel cap here: an oversized image gets its own message below.
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch {
    return { kind: 'unreadable', message: '图片文件已损坏或格式无法识别，请重新保存后发送' };
  }
  const { format, width, height } = meta;
  if (!format || !width || !height) {
    return { kind: 'unreadable', message: '图片文件无法读取尺寸，请重新保存后发送' };
  }
  if (width * height > maxPixels) {
    return { kind: 'too_large', message: `图片像素过多（${width}×${height}），请缩小后重新发送` };
  }
  if (opts.checkTruncated && !(await decodes(buf, maxPixels))) {
    return { kind: 'unreadable', message: '图片文件不完整（可能传输中被截断），请重新保存后发送' };
  }
  const content: ImageContent = { format: String(format), width, height, redSeal: null };
  if (meta.orientation && ROTATED.has(meta.orientation)) content.orientation = meta.orientation;
  return content;
}

/**
 * Whether every byte of the picture's data is there. The decoder must read all of it to tell,
 * but need not build every pixel: asked for a small picture, libjpeg decodes at 1/8 scale
 * (half the CPU for an 800×800 logo, 64×64 pixels in memory instead of 1.9 MB).
 */
async function decodes(buf: Buffer, maxPixels: number): Promise<boolean> {
  try {
    await sharp(buf, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .resize(64, 64, { fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer();
    return true;
  } catch {
    return false;
  }
}

// A seal is strongly red: red channel high and well above green and blue. Thresholds from
// scans of red-ink seals; a share of 0.3 % of a ~300 px rendering is a seal ring of a few
// hundred pixels, more than red body text usually reaches.
const SEAL_SIDE_PX = 300;
const SEAL_MIN_SHARE = 0.003;

/** True when a downscaled copy of the image has a red-seal-sized share of strongly red pixels. */
export async function detectRedSeal(buf: Buffer, maxPixels = 100_000_000): Promise<boolean> {
  try {
    const { data, info } = await sharp(buf, { limitInputPixels: maxPixels })
      .rotate()
      .resize(SEAL_SIDE_PX, SEAL_SIDE_PX, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    let red = 0;
    const step = info.channels;
    for (let i = 0; i + 2 < data.length; i += step) {
      const r = data[i] ?? 0;
      const g = data[i + 1] ?? 0;
      const b = data[i + 2] ?? 0;
      if (r > 150 && r - g > 60 && r - b > 60) red++;
    }
    return red / (info.width * info.height) > SEAL_MIN_SHARE;
  } catch {
    return false;
  }
}
