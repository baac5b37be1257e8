// What replies say, rendered from the real fixture submissions through the pure validation core
// and the templates in config/replies/; plus which kind each verdict gets, and the headers.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { composeReply } from '../../src/mail/compose.js';
import { parseMail } from '../../src/mail/parse.js';
import {
  mailGuardReason,
  recipientGuardReason,
  replyRecipient,
} from '../../src/mail/reply-guard.js';
import { buildRaw } from '../../src/mail/send.js';
import { replyValues } from '../../src/replies/content.js';
import { planReply, replyKindFor } from '../../src/replies/plan.js';
import {
  DEFAULT_TEMPLATE_DIR,
  loadTemplates,
  type ReplyKind,
} from '../../src/replies/templates.js';
import type { CheckResult } from '../../src/types.js';
import { validateMessage } from '../../src/validate.js';

const profile = loadContest();
const templates = loadTemplates();
const FIXTURES = new URL('../../fixtures/submissions/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  { verdict: string; failed: string[]; receivedAt: string }
>;
const BEFORE = new Date('2025-10-01T00:00:00+08:00');
const AFTER = new Date('2025-11-01T00:00:00+08:00');

async function check(name: string): Promise<CheckResult> {
  const raw = readFileSync(path.join(FIXTURES, name));
  return (await validateMessage(raw, new Date(expected[name]?.receivedAt ?? ''), profile)).result;
}

function render(kind: ReplyKind, result: CheckResult, now = BEFORE, extra = {}) {
  const facts = {
    kind,
    caseNo: '2025-0007',
    organization: result.subject.organization ?? result.form?.fields.organization ?? '',
    title: result.subject.title ?? result.form?.fields.caseName ?? '',
    receivedAt: new Date(result.receivedAt),
    result,
    ...extra,
  };
  return templates.render(kind, replyValues(facts, profile, templates, now));
}

const results: Record<string, CheckResult> = {};
beforeAll(async () => {
  for (const name of [
    'accepted-docx.eml',
    'logo-too-big.eml',
    'subject-no-plus.eml',
    'late.eml',
    'corrupt-docx.eml',
    'no-seal.eml',
  ]) {
    results[name] = await check(name);
  }
});
const r = (name: string) => results[name] as CheckResult;

describe('reply kinds', () => {
  it('maps every verdict to its reply, and not-submissions to none', () => {
    expect(replyKindFor(r('accepted-docx.eml'), { supersedes: null })).toBe('ack');
    expect(replyKindFor(r('accepted-docx.eml'), { supersedes: 3 })).toBe('update');
    expect(replyKindFor(r('logo-too-big.eml'), { supersedes: null })).toBe('rejection');
    expect(replyKindFor(r('logo-too-big.eml'), { supersedes: 3 })).toBe('rejection');
    expect(replyKindFor(r('late.eml'), { supersedes: null })).toBe('late');
    // A LATE on an estimated receive time is review: a rejection for other faults is no late
    // notice ("无法受理"), which only a server's receive time may send.
    const estimated = r('late.eml');
    const reviewed = {
      ...estimated,
      findings: estimated.findings.map((f) =>
        f.rule === 'LATE' ? { ...f, severity: 'review' as const } : f,
      ),
    };
    expect(reviewed.verdict).toBe('rejected');
    expect(replyKindFor(reviewed, { supersedes: null })).toBe('rejection');
    expect(replyKindFor(r('corrupt-docx.eml'), { supersedes: null })).toBe('review');
    expect(
      replyKindFor({ ...r('accepted-docx.eml'), verdict: 'not_submission' }, { supersedes: null }),
    ).toBeNull();
  });
});

describe('reply templates', () => {
  it('acknowledges with the case number and what was received: form, report 字数, logo size and pixels, scan', () => {
    const { subject: s } = r('accepted-docx.eml');
    const { subject, text, html } = render('ack', r('accepted-docx.eml'));
    expect(subject).toBe(`【2025-0007】申报已受理：${s.organization}+${s.title}`);
    expect(text).toContain('案例编号为 2025-0007');
    expect(text).toMatch(/申报表：\S+\.docx/);
    expect(text).toContain('共 4,200 字');
    expect(text).toMatch(/商标：商标\.jpg，\d+ KB，800×800 像素/);
    expect(text).toMatch(/盖章扫描件：\S+\.pdf/);
    expect(text).not.toContain('另有以下提示');
    expect(html).toContain('<ol><li>申报表：');
  });

  it('gives no pixels for a logo that could not be read (not 0×0)', () => {
    const result = r('accepted-docx.eml');
    const logo = {
      ...(result.logo as NonNullable<CheckResult['logo']>),
      width: null,
      height: null,
    };
    const { text } = render('ack', { ...result, logo });
    expect(text).toMatch(/商标：商标\.jpg，\d+ KB\n/);
    expect(text).not.toContain('像素');
  });

  it('shows warnings in an acknowledgement (no seal detected)', () => {
    const { text } = render('ack', r('no-seal.eml'));
    expect(text).toContain('另有以下提示');
    expect(text).toContain('未检测到红色印章');
  });

  it('lists exactly the failed error rules with the finding and how to fix it', () => {
    const result = r('logo-too-big.eml');
    const failed = result.findings.filter((f) => !f.passed && f.severity === 'error');
    expect(failed.map((f) => f.rule)).toEqual(['LOGO_SIZE']);
    const { text } = render('rejection', result);
    const items = text.split('\n').filter((l) => /^ {2}\d+\. /.test(l));
    expect(items).toHaveLength(1);
    expect(items[0]).toContain(failed[0]?.message);
    expect(items[0]).toContain(`修改方法：${templates.fix('LOGO_SIZE')}`);
  });

  it('asks for a corrected resubmission before the deadline, and says it has passed after', () => {
    expect(render('rejection', r('subject-no-plus.eml'), BEFORE).text).toContain(
      '请修改后于截止时间前重新发送（截止时间：2025年10月20日 24:00 北京时间）',
    );
    const after = render('rejection', r('subject-no-plus.eml'), AFTER).text;
    expect(after).toContain('已过');
    expect(after).not.toContain('前重新发送');
  });

  it('names the case from the form when the subject has no plus sign', () => {
    const result = r('subject-no-plus.eml');
    expect(result.subject.organization).toBeNull();
    expect(render('rejection', result).subject).toContain(
      `【2025-0007】申报材料需修改：${result.form?.fields.organization}+`,
    );
  });

  it('tells a late applicant the deadline has passed, with the receive time', () => {
    const { subject, text } = render('late', r('late.eml'));
    expect(subject).toContain('申报已逾期');
    expect(text).toContain('2025-10-21 00:05（北京时间）');
    expect(text).toContain('已超过报送截止时间 2025年10月20日 24:00');
  });

  it('lists the open questions in an under-review reply', () => {
    const { text } = render('review', r('corrupt-docx.eml'));
    expect(text).toContain('将由工作人员人工核对');
    const questions = r('corrupt-docx.eml').findings.filter(
      (f) => !f.passed && f.severity === 'review',
    );
    expect(questions.map((f) => f.rule).sort()).toEqual([
      'ATTACHMENT_UNREADABLE',
      'REPORT_NOT_FOUND',
    ]);
    for (const q of questions) expect(text).toContain(q.message);
  });

  it('says what changed in an update', () => {
    const previous = {
      receivedAt: new Date('2025-10-01T10:00:00+08:00'),
      result: r('logo-too-big.eml'),
    };
    const { text } = render('update', r('accepted-docx.eml'), BEFORE, { previous });
    expect(text).toContain('已替代 2025-10-01 10:00（北京时间） 的提交');
    expect(text).toContain('本次提交已通过形式审查');
    expect(text).toMatch(/已解决：商标图片「[^」]+」 \d+ KB，超过 200 KB 上限/);
  });

  it('renders an organiser decision with its reason, escaping HTML', () => {
    const { text, html } = render('decision', r('corrupt-docx.eml'), BEFORE, {
      decision: { verdict: 'accepted', reason: '已收到补发的 <报告>' },
    });
    expect(text).toContain('结果为：已受理');
    expect(text).toContain('说明：已收到补发的 <报告>');
    expect(html).toContain('已收到补发的 &#60;报告&#62;');
  });

  it('refuses a template with an unknown placeholder at load time', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'intake-templates-'));
    cpSync(DEFAULT_TEMPLATE_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, 'ack.txt'), 'Subject: 【{{caseNo}}】\n\n{{caseNumber}}\n');
    expect(() => loadTemplates(dir)).toThrow(/unknown placeholder \{\{caseNumber\}\}/);
  });
});

describe('reply guard and headers', () => {
  it('answers Reply-To when present, else From; never a no-reply or own address', async () => {
    const mail = await parseMail(readFileSync(path.join(FIXTURES, 'accepted-docx.eml')));
    expect(replyRecipient(mail)).toBe(mail.from?.address.toLowerCase());
    const withReplyTo = { ...mail, replyTo: { name: '秘书', address: 'Secretary@Example.cn' } };
    expect(replyRecipient(withReplyTo)).toBe('secretary@example.cn');
    expect(mailGuardReason(withReplyTo, [])).toBeNull();
    expect(
      mailGuardReason({ ...mail, replyTo: { name: '', address: 'no-reply@example.cn' } }, []),
    ).toBe('robot-sender');
    expect(recipientGuardReason('intake@contest.org', ['intake@contest.org'])).toBe('own-address');
    expect(recipientGuardReason('intake@contest.org', ['组委会 <Intake@Contest.org>'])).toBe(
      'own-address',
    );
    // A sub-address or a root-terminated domain is the same mailbox.
    for (const variant of ['intake+2025@contest.org', 'Intake@Contest.org.'])
      expect(recipientGuardReason(variant, ['组委会 <intake@contest.org>'])).toBe('own-address');
    expect(recipientGuardReason('intake2@contest.org', ['intake@contest.org'])).toBeNull();
    expect(recipientGuardReason(null, [])).toBe('no-recipient');
  });

  it('suppresses the reply to a robot message and to a duplicate', async () => {
    // An older message filed late is planned like any other: the send job decides
    // (outbox.test.ts, "as if they had come in order").
    const auto = await parseMail(readFileSync(path.join(FIXTURES, 'auto-reply.eml')));
    const result = r('accepted-docx.eml');
    const plan = (mail = auto, duplicateOf: number | null = null) =>
      planReply({
        result,
        mail,
        filed: { duplicateOf, supersedes: null },
        ownAddresses: [],
        profile,
      });
    expect(plan()?.suppressedReason).toBe('auto-submitted');
    const person = await parseMail(readFileSync(path.join(FIXTURES, 'accepted-docx.eml')));
    expect(plan(person)?.suppressedReason).toBeNull();
    expect(plan(person, 1)?.suppressedReason).toBe('duplicate');
  });

  it('composes the RFC 3834 headers, threading and a deterministic Message-ID', async () => {
    const content = render('ack', r('accepted-docx.eml'));
    const a = composeReply({
      submissionId: 7,
      kind: 'ack',
      from: '征集组委会 <intake@Contest.org>',
      to: 'a@b.cn',
      originalMessageId: '<orig@b.cn>',
      content,
    });
    const b = composeReply({
      submissionId: 7,
      kind: 'ack',
      from: '征集组委会 <intake@Contest.org>',
      to: 'a@b.cn',
      originalMessageId: '<orig@b.cn>',
      content,
    });
    expect(a.messageId).toBe('<reply-7-ack@contest.org>');
    expect(b.messageId).toBe(a.messageId);
    const parsed = await parseMail(await buildRaw(a));
    expect(parsed.headers['auto-submitted']?.[0]).toBe('auto-replied');
    expect(parsed.headers['x-auto-response-suppress']?.[0]).toBe('All');
    expect(parsed.headers['in-reply-to']?.[0]).toBe('<orig@b.cn>');
    expect(parsed.headers.references?.[0]).toBe('<orig@b.cn>');
    expect(parsed.messageId).toBe('<reply-7-ack@contest.org>');
    expect(parsed.subject).toBe(content.subject);
    expect(parsed.from?.name).toBe('征集组委会');
  });
});
