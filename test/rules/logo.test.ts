// LOGO_MISSING / LOGO_FORMAT / LOGO_SIZE / LOGO_DIMENSIONS on real images made by ImageMagick
// and read by the real document reader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logoDimensions } from '../../src/rules/logo-dimensions.js';
import { logoFormat } from '../../src/rules/logo-format.js';
import { logoMissing } from '../../src/rules/logo-missing.js';
import { logoSize } from '../../src/rules/logo-size.js';
import { assemble } from '../../src/submission/assemble.js';
import type { DocumentRead } from '../../src/types.js';
import { magick, mail, profile, read, submission, tempDir } from './support.js';

const tmp = tempDir();
const logos: Record<string, DocumentRead> = {};

beforeAll(async () => {
  const make = async (key: string, name: string, args: string[]) => {
    logos[key] = await read(name, magick(tmp.dir, name, args));
  };
  await make('good', '商标.jpg', ['-size', '800x800', 'gradient:navy-white', '-quality', '85']);
  await make('wide', 'logo-wide.jpg', [
    '-size',
    '1600x1200',
    'gradient:red-white',
    '-quality',
    '80',
  ]);
  await make('min', 'logo-min.jpg', ['-size', '400x400', 'xc:navy']);
  await make('certificate', '商标注册证书.jpg', ['-size', '800x600', 'xc:white']);
  await make('max', 'logo-max.jpg', ['-size', '1500x1500', 'xc:navy']);
  await make('narrow', 'logo-narrow.jpg', ['-size', '399x600', 'xc:navy']);
  // Random noise does not compress: 600×600 at quality 95 is several hundred KB.
  await make('heavy', 'logo-heavy.jpg', [
    '-size',
    '600x600',
    'xc:',
    '+noise',
    'Random',
    '-quality',
    '95',
  ]);
  // A PNG given a .jpg name: the name must not fool the format check.
  await make('png', 'logo-png.png', ['-size', '500x500', 'xc:navy']);
  logos.png = await read('商标.jpg', logos.png?.entry.content ?? Buffer.alloc(0));
});
afterAll(() => tmp.cleanup());

const picture = (key: string): DocumentRead => {
  const d = logos[key];
  if (!d) throw new Error(`no picture ${key}`);
  return d;
};
const check = (rule: typeof logoSize, logo?: DocumentRead) =>
  rule.check(submission({ logo }), profile);

describe('LOGO_MISSING', () => {
  it('passes when a logo was found and fails with an error when none was', () => {
    expect(check(logoMissing, logos.good)).toMatchObject({ passed: true });
    expect(check(logoMissing)).toMatchObject({
      passed: false,
      severity: 'error',
      message: expect.stringContaining('未找到商标图片'),
    });
  });
});

describe('LOGO_FORMAT', () => {
  it('passes a real JPEG', () => {
    expect(check(logoFormat, logos.good)).toMatchObject({
      passed: true,
      details: { format: 'jpeg' },
    });
  });

  it('fails a PNG named .jpg, by content', () => {
    expect(logos.png?.entry.filename).toBe('商标.jpg');
    expect(check(logoFormat, logos.png)).toMatchObject({
      passed: false,
      severity: 'error',
      message: expect.stringContaining('实际为 PNG 格式，要求 JPG 格式'),
    });
  });

  it('reviews a PNG named as the logo when a JPEG picture nothing names came too', async () => {
    const png = await read('商标.png', logos.png?.entry.content ?? Buffer.alloc(0));
    const jpeg = await read('某某银行.jpg', logos.good?.entry.content ?? Buffer.alloc(0));
    const s = await assemble(mail(), 'submission', [png, jpeg], new Date(), profile);
    expect(s.logo).toBe(png); // taken by its name, as before
    const finding = logoFormat.check(s, profile);
    expect(finding).toMatchObject({ passed: false, severity: 'review' });
    expect(finding.message).toContain('「某某银行.jpg」也可能是商标图片');
    // A JPEG that a name says is something else (a certificate) leaves the rejection certain.
    const cert = await read('专利证书.jpg', logos.good?.entry.content ?? Buffer.alloc(0));
    const t = await assemble(mail(), 'submission', [png, cert], new Date(), profile);
    expect(logoFormat.check(t, profile)).toMatchObject({ passed: false, severity: 'error' });
  });

  it('is not applicable without a logo', () => {
    expect(check(logoFormat)).toMatchObject({ passed: true, details: { applicable: false } });
  });
});

describe('LOGO_SIZE', () => {
  it('passes a logo under 200 KB', () => {
    expect(logos.good?.entry.bytes).toBeLessThan(204_800);
    expect(check(logoSize, logos.good)).toMatchObject({ passed: true });
  });

  it('fails a logo of several hundred KB, naming the file, its size and the limit', () => {
    const bytes = logos.heavy?.entry.bytes ?? 0;
    expect(bytes).toBeGreaterThan(204_800);
    const finding = check(logoSize, logos.heavy);
    expect(finding).toMatchObject({ passed: false, severity: 'error', details: { bytes } });
    expect(finding.message).toBe(
      `商标图片「logo-heavy.jpg」 ${Math.round(bytes / 1024)} KB，超过 200 KB 上限，请压缩后重新发送`,
    );
  });

  it('fails at exactly 204,800 bytes and passes one byte below', () => {
    const at = (bytes: number) => {
      const logo = structuredClone(logos.good) as DocumentRead;
      logo.entry.bytes = bytes;
      return check(logoSize, logo);
    };
    expect(at(204_800)).toMatchObject({
      passed: false,
      message: expect.stringContaining('200 KB（204,800 字节），须小于 200 KB，请压缩后重新发送'),
    });
    // Not "200 KB, under the 200 KB limit" either.
    expect(at(204_799)).toMatchObject({
      passed: true,
      message: '商标图片 200 KB（204,799 字节），小于 200 KB 上限',
    });
  });
});

describe('a picture only taken for the logo', () => {
  it('has its faults reviewed, not rejected, when no name says it is the logo', async () => {
    // The only picture, a stamped page named 附件3.jpg: taken for the logo by elimination.
    const page = await read('附件3.jpg', logos.wide?.entry.content ?? Buffer.alloc(0));
    const s = submission({ logo: page });
    for (const rule of [logoDimensions, logoSize]) {
      const outcome = rule.check(s, profile);
      if (outcome.passed) continue;
      expect(outcome).toMatchObject({
        severity: 'review',
        message: expect.stringMatching(/^商标图片「附件3\.jpg」.*（其文件名未表明是商标图片/),
      });
      expect(outcome.message).not.toContain('重新发送');
    }
    expect(logoDimensions.check(s, profile).passed).toBe(false);
  });

  it('has a logo whose content is no picture at all reviewed, not called the wrong format', async () => {
    const bytes = Buffer.from(logos.good?.entry.content ?? Buffer.alloc(0));
    bytes.fill(0, 0, 64); // the header gone: no reader knows what it is
    const broken = await read('商标.jpg', bytes);
    expect(logoFormat.check(submission({ logo: broken }), profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('无法识别'),
    });
  });
});

describe('LOGO_DIMENSIONS', () => {
  it('passes 800×800 and both inclusive bounds', () => {
    expect(check(logoDimensions, logos.good)).toMatchObject({
      passed: true,
      details: { width: 800, height: 800 },
    });
    expect(check(logoDimensions, logos.min)).toMatchObject({ passed: true });
    expect(check(logoDimensions, logos.max)).toMatchObject({ passed: true });
  });

  it('fails 1600×1200 and 399×600 naming the file, with the measured size and the range', () => {
    expect(check(logoDimensions, logos.wide)).toMatchObject({
      passed: false,
      severity: 'error',
      message:
        '商标图片「logo-wide.jpg」为 1600×1200 像素，要求宽和高均在 400–1500 像素之间，请调整尺寸后重新发送',
    });
    expect(check(logoDimensions, logos.narrow)).toMatchObject({
      passed: false,
      details: { width: 399, height: 600 },
    });
  });

  it('is not applicable without a logo', () => {
    expect(check(logoDimensions)).toMatchObject({ passed: true, details: { applicable: false } });
  });

  it('asks for a look, not a rejection, when another picture is named as the logo too', () => {
    // A wide version and a square one: the square one may be the logo asked for.
    const two = submission({ logo: logos.wide, documents: [picture('good')] });
    expect(logoDimensions.check(two, profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('另附的图片「商标.jpg」也标为商标图片'),
    });
    expect(logoSize.check(two, profile)).toMatchObject({ passed: true });
    // A trademark certificate beside it is evidence, not a second logo.
    const withCertificate = submission({ logo: logos.wide, documents: [picture('certificate')] });
    expect(logoDimensions.check(withCertificate, profile)).toMatchObject({
      passed: false,
      severity: 'error',
    });
  });
});
