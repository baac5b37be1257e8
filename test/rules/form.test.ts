import { describe, expect, it } from 'vitest';
import { formFieldsIncomplete } from '../../src/rules/form-fields-incomplete.js';
import { formMissing } from '../../src/rules/form-missing.js';
import { implementationDate } from '../../src/rules/implementation-date.js';
import { subjectFormMismatch } from '../../src/rules/subject-form-mismatch.js';
import type { DocumentRead } from '../../src/types.js';
import { goodFields, profile, submission } from './support.js';

const pdf = (filename: string): DocumentRead => ({
  entry: {
    filename,
    declaredType: 'application/pdf',
    content: Buffer.alloc(0),
    bytes: 0,
    sha256: 'x',
    insideArchive: null,
  },
  detectedType: 'pdf',
  pdf: { pages: 1, imageOnlyPages: 0, text: '申报表' },
  problems: [],
});

/** A file of `type` that could not be opened: what it holds went unseen. */
const encrypted = (
  filename: string,
  detectedType: DocumentRead['detectedType'],
  message: string,
): DocumentRead => ({
  ...pdf(filename),
  detectedType,
  pdf: undefined,
  problems: [{ kind: 'encrypted', message }],
});

describe('FORM_MISSING', () => {
  it('passes with a Word form', () => {
    expect(formMissing.check(submission({ fields: goodFields }), profile)).toMatchObject({
      passed: true,
    });
  });

  it('fails without one, and says so when only a PDF form came', () => {
    expect(formMissing.check(submission({}), profile)).toMatchObject({
      passed: false,
      severity: 'error',
      message: expect.stringContaining('Word 版申报表'),
    });
    expect(
      formMissing.check(submission({ documents: [pdf('申报表.pdf')] }), profile),
    ).toMatchObject({
      passed: false,
      message: expect.stringContaining('「申报表.pdf」为 PDF 格式'),
    });
  });

  it('fails as review, not error, when a file that could be the form was not readable', () => {
    // 附件1.docx is encrypted: no form labels could be read from it, so "no form" is a guess.
    const locked = encrypted('附件1.docx', 'docx', '文件设置了密码，无法打开');
    expect(formMissing.check(submission({ documents: [locked] }), profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('附件「附件1.docx」无法读取'),
    });
    // A file read, if not as a form, leaves the verdict certain.
    expect(formMissing.check(submission({ documents: [pdf('说明.pdf')] }), profile)).toMatchObject({
      passed: false,
      severity: 'error',
    });
  });

  it('asks a person, not the applicant, when files came as a 超大附件 link', () => {
    const s = submission({});
    s.mail.text = [
      '您好，附件为我单位申报材料，请查收。',
      '',
      '从QQ邮箱发来的超大附件',
      '申报表及盖章扫描件.zip (86.3M, 2025年11月19日 10:21 到期)',
      '进入下载页面：https://wx.mail.qq.com/ftn/download?func=3&k=5a3b',
    ].join('\n');
    expect(formMissing.check(s, profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('超大附件或网盘的下载链接'),
    });
    // The words alone are no link: a signature's 公司网盘 leaves "not found" certain.
    s.mail.text = '您好，附件为我单位申报材料，请查收。\n--\n张三 | 公司网盘、超大附件请联系 IT 部';
    expect(formMissing.check(s, profile)).toMatchObject({ severity: 'error' });
  });

  it('takes no stamped scan for a PDF-only form, and asks a person when content went unread', () => {
    const zip = encrypted('申报材料.zip', 'zip', '压缩包设置了密码，无法解压');
    // The Word form may be in the archive that could not be opened.
    expect(
      formMissing.check(submission({ documents: [zip, pdf('申报表.pdf')] }), profile),
    ).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.not.stringContaining('PDF 格式'),
    });
    // 申报表盖章版.pdf is the stamped scan the call asks for, not a form sent as PDF.
    expect(
      formMissing.check(submission({ documents: [pdf('申报表盖章版.pdf')] }), profile),
    ).toMatchObject({
      passed: false,
      severity: 'error',
      message: '附件中未找到 Word 版申报表（.docx 或 .doc），请附上填写完整的电子申报表',
    });
  });
});

describe('FORM_FIELDS_INCOMPLETE', () => {
  it('passes a complete form', () => {
    expect(formFieldsIncomplete.check(submission({ fields: goodFields }), profile)).toMatchObject({
      passed: true,
    });
  });

  it('asks for review, listing missing or empty fields by their label', () => {
    const fields = { ...goodFields, contactPhone: '  ', contactEmail: undefined };
    expect(formFieldsIncomplete.check(submission({ fields }), profile)).toMatchObject({
      passed: false,
      severity: 'review',
      // A person decides: the applicant of a reviewed submission is not asked to resend.
      message: '申报表中以下必填项未找到或为空：联系电话、邮箱，将由工作人员人工核对',
      details: { missing: ['contactPhone', 'contactEmail'] },
    });
  });

  it('is not applicable without a form', () => {
    expect(formFieldsIncomplete.check(submission({}), profile)).toMatchObject({
      passed: true,
      details: { applicable: false },
    });
  });
});

describe('SUBJECT_FORM_MISMATCH', () => {
  const check = (subject: string, fields = goodFields) =>
    subjectFormMismatch.check(submission({ subject, fields }), profile);

  it('matches after punctuation and width are normalised, and by containment', () => {
    expect(check('某某银行+《智能风控平台》')).toMatchObject({ passed: true });
    expect(
      check('某某银行+智能风控平台', { ...goodFields, organization: '某某银行股份有限公司' }),
    ).toMatchObject({ passed: true });
    expect(
      check('ABC银行+AI 平台', { ...goodFields, organization: 'ＡＢＣ银行', caseName: 'AI平台' }),
    ).toMatchObject({ passed: true });
  });

  it('asks for review when the organisation or title differ', () => {
    expect(check('另一家公司+智能风控平台')).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('申报单位'),
    });
  });

  it('is not applicable when there is nothing to compare', () => {
    expect(check('没有加号')).toMatchObject({ passed: true, details: { applicable: false } });
  });
});

describe('IMPLEMENTATION_DATE', () => {
  const check = (implementedAt: string | undefined) =>
    implementationDate.check(submission({ fields: { ...goodFields, implementedAt } }), profile);

  it('passes 2023-01 and later', () => {
    expect(check('2023-01')).toMatchObject({ passed: true });
    expect(check('2024年3月15日')).toMatchObject({
      passed: true,
      details: { implementedAt: '2024-03-15' },
    });
  });

  it('asks for review before 2023-01', () => {
    expect(check('2022-12')).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('早于 2023-01'),
    });
  });

  it('only warns when the date is missing or unreadable', () => {
    expect(check(undefined)).toMatchObject({
      passed: false,
      severity: 'warning',
      message: expect.stringContaining('未找到实施时间'),
    });
    expect(check('去年春天')).toMatchObject({
      passed: false,
      severity: 'warning',
      message: expect.stringContaining('无法识别'),
    });
  });
});
