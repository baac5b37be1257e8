import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentSuspicious } from '../../src/rules/attachment-suspicious.js';
import { attachmentUnreadable } from '../../src/rules/attachment-unreadable.js';
import { scanMissing } from '../../src/rules/scan-missing.js';
import { sealNotDetected } from '../../src/rules/seal-not-detected.js';
import type { DocumentRead } from '../../src/types.js';
import { magick, profile, read, submission, tempDir } from './support.js';

const tmp = tempDir();
let sealed: DocumentRead;
let plain: DocumentRead;
let truncated: DocumentRead;

beforeAll(async () => {
  // A stamped page: a red ring (the seal) on a white page with black text lines.
  const page = [
    '-size',
    '850x1100',
    'xc:white',
    '-fill',
    'black',
    '-draw',
    'rectangle 100,100 700,110',
  ];
  sealed = await read(
    '盖章扫描件.jpg',
    magick(tmp.dir, 's.jpg', [
      ...page,
      '-fill',
      'none',
      '-stroke',
      'red',
      '-strokewidth',
      '14',
      '-draw',
      'circle 600,800 600,680',
    ]),
  );
  plain = await read('扫描件.jpg', magick(tmp.dir, 'p.jpg', page));
  truncated = await read('损坏.pdf', Buffer.from('%PDF-1.4\n1 0 obj broken'));
});
afterAll(() => tmp.cleanup());

const withSeal = (doc: DocumentRead, redSeal: boolean): DocumentRead => ({
  ...doc,
  image: doc.image && { ...doc.image, redSeal },
});

describe('SCAN_MISSING', () => {
  it('passes with a scan and fails with an error without one', () => {
    expect(scanMissing.check(submission({ scan: sealed }), profile)).toMatchObject({
      passed: true,
    });
    expect(scanMissing.check(submission({}), profile)).toMatchObject({
      passed: false,
      severity: 'error',
      message: expect.stringContaining('盖章扫描件'),
    });
  });
});

describe('SEAL_NOT_DETECTED', () => {
  it('passes a scan whose red seal was detected and warns about one without', () => {
    expect(
      sealNotDetected.check(submission({ scan: withSeal(sealed, true) }), profile),
    ).toMatchObject({ passed: true });
    expect(
      sealNotDetected.check(submission({ scan: withSeal(plain, false) }), profile),
    ).toMatchObject({ passed: false, severity: 'warning' });
  });

  it('does not judge a scan it did not evaluate, nor a missing one', () => {
    expect(
      sealNotDetected.check(submission({ scan: { ...plain, image: undefined } }), profile),
    ).toMatchObject({ passed: true, details: { evaluated: false } });
    expect(sealNotDetected.check(submission({}), profile)).toMatchObject({
      passed: true,
      details: { applicable: false },
    });
  });
});

describe('ATTACHMENT_UNREADABLE', () => {
  it('passes readable files', () => {
    expect(
      attachmentUnreadable.check(submission({ documents: [sealed, plain] }), profile),
    ).toMatchObject({ passed: true });
  });

  it('asks for review of a corrupt document, naming it', () => {
    expect(truncated.problems.length).toBeGreaterThan(0);
    expect(
      attachmentUnreadable.check(submission({ documents: [sealed, truncated] }), profile),
    ).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('「损坏.pdf」'),
    });
  });
});

describe('ATTACHMENT_SUSPICIOUS', () => {
  // Real files through the real reader: the reader decides which disagreements matter.
  const docs = (dir: string, name: string, as: string) =>
    read(as, readFileSync(new URL(`../../fixtures/${dir}/${name}`, import.meta.url)));

  it('passes ordinary files, a .doc that is really .docx, and a PNG named .jpg', async () => {
    const ordinary = [
      sealed,
      await docs('documents', 'form.docx', '申报表.doc'),
      await docs('documents', 'png-named.jpg', '截图.jpg'),
    ];
    expect(attachmentSuspicious.check(submission({ documents: ordinary }), profile)).toMatchObject({
      passed: true,
    });
  });

  it('asks for review of a program named .jpg, naming it', async () => {
    const exe = await docs('documents', 'exe-named.jpg', '系统截图.jpg');
    expect(
      attachmentSuspicious.check(submission({ documents: [sealed, exe] }), profile),
    ).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('系统截图.jpg”实际是可执行程序'),
    });
  });

  it('asks for review of a PDF named .docx and of a macro document', async () => {
    const pdf = await docs('documents', 'form-text.pdf', '申报表.docx');
    const macro = await docs('documents', 'macro.docm', '申报表.docm');
    const finding = attachmentSuspicious.check(submission({ documents: [pdf, macro] }), profile);
    expect(finding).toMatchObject({ passed: false, severity: 'review' });
    expect(finding.message).toContain('内容实际是PDF');
    expect(finding.message).toContain('含宏');
  });
});
