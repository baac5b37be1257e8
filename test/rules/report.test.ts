import { describe, expect, it } from 'vitest';
import { countChars } from '../../src/documents/count.js';
import { reportLength } from '../../src/rules/report-length.js';
import { reportNotFound } from '../../src/rules/report-not-found.js';
import { reportSections } from '../../src/rules/report-sections.js';
import { chars, goodFields, profile, submission, wordDoc } from './support.js';

const length = (n: number) => reportLength.check(submission({ reportText: chars(n) }), profile);

describe('REPORT_LENGTH', () => {
  it('passes 3000, 4211 and 5000 字', () => {
    for (const n of [3000, 4211, 5000])
      expect(length(n)).toMatchObject({ passed: true, details: { chars: n } });
  });

  it('fails far outside the range with an error naming the file and saying the count', () => {
    expect(length(2150)).toMatchObject({
      passed: false,
      severity: 'error',
      message: '案例报告「案例报告.docx」 2,150 字，要求 3000–5000 字，请补充内容后重新发送',
    });
    expect(length(6000)).toMatchObject({ passed: false, severity: 'error' });
  });

  it('asks for review within 1 % outside a bound (2980, 5040 字)', () => {
    expect(length(2980)).toMatchObject({
      passed: false,
      severity: 'review',
      details: { nearBound: true },
    });
    expect(length(5040)).toMatchObject({ passed: false, severity: 'review' });
    expect(length(2969)).toMatchObject({ severity: 'error' });
    expect(length(5051)).toMatchObject({ severity: 'error' });
  });

  it('asks for review, not rejection, when the report is only the longest text of an unnamed file', () => {
    const guessed = submission({ reportText: chars(8000) });
    if (guessed.report) guessed.report.doc.entry.filename = '宣传册.pdf';
    expect(reportLength.check(guessed, profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringMatching(/^案例报告「宣传册\.pdf」 8,000 字/),
      details: { chars: 8000, doubt: '其文件名未表明是案例报告' },
    });
    // A person decides: the applicant is not asked to resend.
    expect(reportLength.check(guessed, profile).message).not.toContain('重新发送');
  });

  it('asks for review when another file has a fitting length: the name picked the wrong one', () => {
    const main = wordDoc('案例正文.docx', { text: chars(4000) });
    const s = submission({ reportText: chars(800), documents: [main] });
    if (s.report) s.report.doc.entry.filename = '第三方评估报告.docx';
    expect(reportLength.check(s, profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('「案例正文.docx」可能才是案例报告'),
    });
    // A short file beside it is no alternative: the count stands.
    const note = wordDoc('说明.docx', { text: chars(200) });
    const t = submission({ reportText: chars(800), documents: [note] });
    expect(reportLength.check(t, profile)).toMatchObject({ severity: 'error' });
  });

  it("asks for review when the form's section is only a pointer (详见附件)", () => {
    const s = submission({ fields: goodFields });
    const form = s.form?.doc;
    if (!form) throw new Error('no form');
    s.report = { source: 'form', doc: form, text: '详见附件', count: countChars('详见附件') };
    expect(reportLength.check(s, profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringMatching(/^申报表「申报表\.docx」中的案例报告部分 4 字.*详见附件/),
    });
  });

  it("asks for review when a PDF's or the form's count is too long: more than the body may be counted", () => {
    const pdf = (n: number) => {
      const s = submission({ reportText: chars(n) });
      if (!s.report) throw new Error('no report');
      s.report.doc.entry.filename = '案例报告.pdf';
      s.report.doc.detectedType = 'pdf';
      s.report.doc.pdf = { pages: 8, imageOnlyPages: 0, text: chars(n) };
      return reportLength.check(s, profile);
    };
    expect(pdf(5200)).toMatchObject({
      passed: false,
      severity: 'review',
      details: { doubt: 'PDF 的页眉、页脚和页码无法与正文区分，已一并计入' },
    });
    // Page furniture only adds, and only so much: too short, or far too long, stays a rejection.
    expect(pdf(2500)).toMatchObject({ severity: 'error' });
    expect(pdf(12_000)).toMatchObject({ severity: 'error' });

    const fromForm = (n: number) => {
      const s = submission({ fields: goodFields });
      const form = s.form?.doc;
      if (!form) throw new Error('no form');
      s.report = { source: 'form', doc: form, text: chars(n), count: countChars(chars(n)) };
      return reportLength.check(s, profile);
    };
    expect(fromForm(5200)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining(
        '申报表中案例报告部分之后的内容（如承诺、签章、日期）可能一并计入',
      ),
    });
    expect(fromForm(2500)).toMatchObject({ severity: 'error' });
    expect(fromForm(9000)).toMatchObject({ severity: 'error' });
  });

  it('counts Latin words as Word does, not letters', () => {
    const text = `${chars(2990)} ${'AI model '.repeat(5)}`;
    expect(reportLength.check(submission({ reportText: text }), profile)).toMatchObject({
      passed: true,
      details: { chars: 3000 },
    });
  });

  it('is not applicable when no report was found', () => {
    expect(reportLength.check(submission({}), profile)).toMatchObject({
      passed: true,
      details: { applicable: false },
    });
  });
});

describe('REPORT_NOT_FOUND', () => {
  it('passes when a report was located and asks for review when not', () => {
    expect(reportNotFound.check(submission({ reportText: chars(10) }), profile)).toMatchObject({
      passed: true,
    });
    expect(reportNotFound.check(submission({}), profile)).toMatchObject({
      passed: false,
      severity: 'review',
      // The call asks for no format for the report (seed §三.2), unlike the form.
      message: expect.not.stringContaining('Word'),
    });
  });
});

describe('REPORT_SECTIONS', () => {
  it('passes a report that touches all five parts of the call', () => {
    const text =
      '一、创新背景与目标 二、技术方案架构 三、实施过程与难点突破 四、量化成效分析 五、可复制性及推广价值';
    expect(reportSections.check(submission({ reportText: text }), profile)).toMatchObject({
      passed: true,
    });
  });

  it('warns, naming the parts it could not find', () => {
    const finding = reportSections.check(
      submission({ reportText: '项目背景与目标。技术方案。' }),
      profile,
    );
    expect(finding).toMatchObject({ passed: false, severity: 'warning' });
    expect(finding.details.missing).toEqual([
      '实施过程与难点突破',
      '量化成效分析',
      '可复制性及推广价值',
    ]);
  });
});
