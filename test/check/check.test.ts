// `intake check` through runCheck: the JSON of DESIGN.md §4, the readable report, exit codes.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runCheck } from '../../src/check.js';
import { loadContest } from '../../src/config/contest.js';
import { RULES } from '../../src/rules/index.js';
import type { CheckResult } from '../../src/types.js';
import { validateMessage } from '../../src/validate.js';
import { chars, tempDir, wordFromHtml } from '../rules/support.js';
import { buildEml } from './eml.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/documents/${name}`, import.meta.url));
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const tmp = tempDir();
let good: string;

async function check(file: string, opts: Parameters<typeof runCheck>[1] = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  const errs: string[] = [];
  out.on('data', (c) => chunks.push(String(c)));
  err.on('data', (c) => errs.push(String(c)));
  const code = await runCheck(file, opts, out, err);
  return { code, out: chunks.join(''), err: errs.join('') };
}

beforeAll(() => {
  const sections = [
    '创新背景与目标',
    '技术方案架构',
    '实施过程与难点突破',
    '量化成效分析',
    '可复制性及推广价值',
  ];
  const report = wordFromHtml(
    tmp.dir,
    'report.docx',
    sections.map((s) => `<h2>${s}</h2><p>${chars(800)}</p>`).join(''),
  );
  good = path.join(tmp.dir, 'good.eml');
  writeFileSync(
    good,
    buildEml({
      subject: '回复：示例银行股份有限公司＋基于大模型的智能风控平台',
      received: 'Sat, 18 Oct 2025 09:12:00 +0800',
      date: 'Sat, 18 Oct 2025 09:10:00 +0800',
      parts: [
        { filename: '申报表.docx', contentType: DOCX, content: fixture('form.docx') },
        { filename: '案例报告.docx', contentType: DOCX, content: report },
        { filename: '商标.jpg', contentType: 'image/jpeg', content: fixture('logo.jpg') },
        {
          filename: '盖章扫描件.jpg',
          contentType: 'image/jpeg',
          content: fixture('seal-scan.jpg'),
        },
      ],
    }),
  );
});
afterAll(() => tmp.cleanup());

describe('intake check', () => {
  it('prints the §4 JSON: receive time from Received:, roles, report count, logo, every finding', async () => {
    const { code, out } = await check(good, { json: true });
    expect(code).toBe(0);
    const r = JSON.parse(out) as CheckResult;
    expect(r).toMatchObject({
      kind: 'submission',
      receivedAt: '2025-10-18T09:12:00+08:00',
      subject: { organization: '示例银行股份有限公司', title: '基于大模型的智能风控平台' },
      form: {
        filename: '申报表.docx',
        fields: { caseName: '基于大模型的智能风控平台', contactName: '张三' },
      },
      report: { source: 'attachment', filename: '案例报告.docx', chars: 4000 + 7 + 6 + 9 + 6 + 9 },
      logo: { filename: '商标.jpg', format: 'jpeg', width: 600, height: 600 },
    });
    expect(r.attachments.map((a) => a.role)).toEqual(['form', 'report', 'logo', 'scan']);
    expect(r.attachments[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Every rule evaluated, passed or not (DESIGN.md §4).
    expect(r.findings.map((f) => f.rule)).toEqual(RULES.map((rule) => rule.code));
    expect(r.warnings.some((w) => w.includes('回复'))).toBe(true);
    // The fixture form lacks e-mail, time and direction: a person looks, nothing is rejected.
    expect(r.verdict).toBe('needs_review');
    expect(
      r.findings.filter((f) => !f.passed && f.severity !== 'warning').map((f) => f.rule),
    ).toEqual(['FORM_FIELDS_INCOMPLETE']);
  });

  it('honours --received-at and rejects a late message', async () => {
    const { code, out } = await check(good, {
      json: true,
      receivedAt: '2025-10-21T08:00:00+08:00',
    });
    expect(code).toBe(0);
    const r = JSON.parse(out) as CheckResult;
    expect(r.verdict).toBe('rejected');
    expect(r.findings.find((f) => f.rule === 'LATE')).toMatchObject({
      passed: false,
      severity: 'error',
    });
  });

  it('prints a readable report with ✓/✗ per finding', async () => {
    const { code, out } = await check(good, {});
    expect(code).toBe(0);
    expect(out).toContain('待人工审核 needs_review');
    expect(out).toContain('[商标] 商标.jpg');
    expect(out).toMatch(/✓ LOGO_SIZE \[error\]/);
    expect(out).toMatch(/✗ FORM_FIELDS_INCOMPLETE \[review\]/);
  });

  it('gives a logo that could not be read no size, not 0×0', async () => {
    const file = path.join(tmp.dir, 'broken-logo.eml');
    const parts = [
      { filename: '商标.jpg', contentType: 'image/jpeg', content: Buffer.from('not a picture') },
    ];
    writeFileSync(
      file,
      buildEml({
        subject: '某某银行+智能风控平台',
        received: 'Sat, 18 Oct 2025 09:12:00 +0800',
        parts,
      }),
    );
    const r = JSON.parse((await check(file, { json: true })).out) as CheckResult;
    expect(r.logo).toMatchObject({ filename: '商标.jpg', width: null, height: null });
    expect((await check(file, {})).out).toContain('尺寸未知 size unknown');
  });

  it('prints a two-line form cell on one line', async () => {
    const { result } = await validateMessage(readFileSync(good), new Date(), loadContest());
    const form = result.form as NonNullable<CheckResult['form']>;
    form.fields = { ...form.fields, organization: '北京市\n海淀区\t某某银行' };
    expect(formatReport(result, loadContest())).toContain('organization: 北京市 海淀区 某某银行');
  });

  it("prints no control character of the sender's to the terminal", async () => {
    const file = path.join(tmp.dir, 'escape.eml');
    const subject = '某某银行\u001b]0;pwned\u0007\u001b[2J+智能\u202e风控平台';
    writeFileSync(
      file,
      buildEml({ subject, received: 'Sat, 18 Oct 2025 09:12:00 +0800', parts: [] }),
    );
    const { code, out } = await check(file, {});
    expect(code).toBe(0);
    expect(out).toContain('主题 subject: 某某银行]0;pwned[2J+智能风控平台');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('warns when the file is empty or does not open as mail', async () => {
    const warningsOf = async (name: string, content: string) => {
      const file = path.join(tmp.dir, name);
      writeFileSync(file, content);
      const { code, out } = await check(file, { json: true });
      expect(code).toBe(0);
      return (JSON.parse(out) as CheckResult).warnings;
    };
    expect(await warningsOf('empty.eml', '')).toContain('文件为空（0 字节），不是一封邮件');
    expect(await warningsOf('scan.pdf', '%PDF-1.4\n1 0 obj\n')).toContain(
      '文件开头不是邮件头，可能不是一封邮件（.eml）',
    );
    expect((await check(good, { json: true })).out).not.toContain('不是一封邮件');
  });

  it('exits 2 with a message for a missing file, a bad --received-at or a bad contest file', async () => {
    const missing = await check(path.join(tmp.dir, 'nope.eml'));
    expect(missing).toMatchObject({ code: 2, out: '' });
    expect(missing.err).toMatch(/cannot read .*nope\.eml/);
    const badTime = await check(good, { receivedAt: 'yesterday' });
    expect(badTime).toMatchObject({ code: 2 });
    expect(badTime.err).toContain('--received-at');
    for (const noSuchDay of ['2025-02-29T10:00:00+08:00', '2025-09-31T10:00:00Z']) {
      expect(await check(good, { receivedAt: noSuchDay })).toMatchObject({ code: 2, out: '' });
    }
    const leapDay = await check(good, { json: true, receivedAt: '2024-02-29T10:00:00+08:00' });
    expect(JSON.parse(leapDay.out).receivedAt).toBe('2024-02-29T10:00:00+08:00');
    const badContest = path.join(tmp.dir, 'contest.json');
    writeFileSync(badContest, '{"name": ""}');
    const contest = await check(good, { contest: badContest });
    expect(contest.code).toBe(2);
    expect(contest.err).toContain('contest.json');
    expect(contest.err).not.toMatch(/\n\s+at /); // no stack trace
    // Named by --contest, not by CONTEST_FILE: the message does not blame the variable.
    const noContest = await check(good, { contest: path.join(tmp.dir, 'none.json') });
    expect(noContest.code).toBe(2);
    expect(noContest.err).toMatch(/cannot read the contest profile .*none\.json/);
    expect(noContest.err).not.toContain('CONTEST_FILE');
  });

  /** `intake check --json` of a message with no Received: header, only the sender's Date:. */
  async function checkDated(name: string, subject: string, date: string) {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, buildEml({ subject, date, parts: [] }));
    return JSON.parse((await check(file, { json: true })).out) as CheckResult;
  }

  it('falls back to the Date header, with a warning, when there is no Received:', async () => {
    const r = await checkDated(
      'nodate.eml',
      '请问截止时间是哪天？',
      'Mon, 13 Oct 2025 10:00:00 +0800',
    );
    expect(r).toMatchObject({
      verdict: 'not_submission',
      kind: 'inquiry',
      receivedAt: '2025-10-13T10:00:00+08:00',
      findings: [],
    });
    expect(r.warnings.join()).toContain('Date');
  });

  it("does not reject as late on the sender's Date header: a person checks", async () => {
    const date = 'Tue, 21 Oct 2025 08:00:00 +0800';
    const r = await checkDated('late-by-date.eml', '某某银行+智能风控平台', date);
    expect(r.findings.find((f) => f.rule === 'LATE')).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('Date 头'),
    });
  });

  it('takes no receive time from a Received stamp no clock could have made', async () => {
    const stamped = async (name: string, received: string, date?: string) => {
      const file = path.join(tmp.dir, name);
      writeFileSync(
        file,
        buildEml({ subject: '某某银行+智能风控平台', received, date, parts: [] }),
      );
      return JSON.parse((await check(file, { json: true })).out) as CheckResult;
    };
    // Year 10000 would reject as late for certain, 1970 would pass LATE for certain.
    const future = await stamped('y10000.eml', 'Mon, 1 Jan 10000 10:00:00 +0000');
    expect(future.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect(future.findings.find((f) => f.rule === 'LATE')?.severity).not.toBe('error');
    expect(future.warnings.join()).toContain('没有可用的 Received');
    const epoch = await stamped(
      'y1970.eml',
      'Thu, 1 Jan 1970 00:00:00 +0000',
      'Tue, 21 Oct 2025 08:00:00 +0800',
    );
    expect(epoch.receivedAt).toBe('2025-10-21T08:00:00+08:00');
    expect(epoch.findings.find((f) => f.rule === 'LATE')).toMatchObject({
      passed: false,
      severity: 'review',
    });
  });
});
