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
let pngAsJpg: DocumentRead;
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
  pngAsJpg = await read('截图.jpg', magick(tmp.dir, 'x.png', ['-size', '300x200', 'xc:gray']));
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
  const exe: DocumentRead = {
    entry: {
      filename: '申报材料.pdf',
      declaredType: null,
      content: Buffer.alloc(0),
      bytes: 0,
      sha256: 'x',
      insideArchive: '材料.zip',
    },
    detectedType: 'exe',
    problems: [],
  };
  const docAsDocx = {
    ...exe,
    entry: { ...exe.entry, filename: '申报表.doc' },
    detectedType: 'docx' as const,
  };

  it('passes ordinary files, including a .doc that is really .docx', () => {
    expect(
      attachmentSuspicious.check(submission({ documents: [sealed, docAsDocx] }), profile),
    ).toMatchObject({ passed: true });
  });

  it("re-judges the reader's type-mismatch notes: a PNG named .jpg or a broken .docx is not suspicious", () => {
    expect(pngAsJpg.detectedType).toBe('png');
    expect(
      attachmentSuspicious.check(submission({ documents: [pngAsJpg] }), profile),
    ).toMatchObject({
      passed: true,
    });
    const brokenDocx: DocumentRead = {
      ...exe,
      entry: { ...exe.entry, filename: '案例报告.docx' },
      detectedType: 'zip',
      problems: [
        { kind: 'unreadable', message: '压缩包已损坏' },
        {
          kind: 'suspicious',
          message: '附件“案例报告.docx”的扩展名是 .docx，但内容实际是zip 压缩包',
        },
      ],
    };
    expect(
      attachmentSuspicious.check(submission({ documents: [brokenDocx] }), profile),
    ).toMatchObject({ passed: true });
  });

  it('asks for review of a program named .pdf', () => {
    expect(attachmentSuspicious.check(submission({ documents: [exe] }), profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('附件「材料.zip / 申报材料.pdf」是可执行程序'),
    });
  });

  it('asks for review when a .jpg holds a PDF, or the reader marked the file suspicious', () => {
    const pdfAsJpg = {
      ...exe,
      entry: { ...exe.entry, filename: 'a.jpg' },
      detectedType: 'pdf' as const,
    };
    expect(
      attachmentSuspicious.check(submission({ documents: [pdfAsJpg] }), profile),
    ).toMatchObject({ passed: false });
    const flagged = { ...pngAsJpg, problems: [{ kind: 'suspicious' as const, message: '含有宏' }] };
    expect(attachmentSuspicious.check(submission({ documents: [flagged] }), profile)).toMatchObject(
      { passed: false, message: expect.stringContaining('含有宏') },
    );
  });
});
