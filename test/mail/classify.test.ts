import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { autoReplyReason, classify, hasSeparatedSubject } from '../../src/mail/classify.js';
import { parseMail } from '../../src/mail/parse.js';
import type { ParsedMail } from '../../src/types.js';

const fixture = async (name: string) =>
  parseMail(readFileSync(new URL(`../../fixtures/mail/${name}`, import.meta.url).pathname));
const separators = ['+', '＋'];

/** A person's plain message; tests override one field at a time. */
function mail(over: Partial<ParsedMail> = {}): ParsedMail {
  return {
    messageId: '<a@b>',
    subject: '某银行+案例',
    from: { name: '', address: 'applicant@bank.example' },
    replyTo: null,
    to: [],
    date: null,
    receivedDates: [],
    headers: {},
    contentType: 'multipart/mixed',
    text: '',
    attachments: [],
    forwarded: false,
    warnings: [],
    ...over,
  };
}

describe('autoReplyReason', () => {
  it.each([
    ['auto-submitted.eml', 'auto-submitted'],
    ['out-of-office.eml', 'out-of-office'],
    ['list-mail.eml', 'list'],
    ['null-return-path.eml', 'null-return-path'],
  ])('%s → %s', async (file, reason) => {
    expect(autoReplyReason(await fixture(file))).toBe(reason);
  });

  it.each([
    [{ headers: { 'auto-submitted': ['auto-generated'] } }, 'auto-submitted'],
    [{ headers: { 'auto-submitted': ['auto-replied (vacation)'] } }, 'auto-submitted'],
    [{ headers: { 'auto-submitted': ['no', 'auto-replied'] } }, 'auto-submitted'],
    [{ contentType: 'multipart/report' }, 'bounce'],
    [{ headers: { precedence: ['Bulk'] } }, 'precedence'],
    [{ headers: { 'x-autoreply': ['yes'] } }, 'auto-reply-header'],
    [{ headers: { 'x-auto-response-suppress': ['All'] } }, 'auto-reply-header'],
    [{ from: { name: '', address: 'MAILER-DAEMON@qq.com' } }, 'robot-sender'],
    [{ from: { name: '', address: 'no-reply@bank.example' } }, 'robot-sender'],
    [{ from: { name: '', address: 'postmaster@bank.example' } }, 'robot-sender'],
    [{ subject: '系统退信' }, 'bounce'],
    [{ subject: 'Undeliverable: 某银行+案例' }, 'bounce'],
    [{ subject: 'Out of Office: back Monday' }, 'out-of-office'],
    [{ headers: { precedence: ['bulk (sent by a list)'] } }, 'precedence'],
    [{ from: { name: '', address: 'noreply2@bank.example' } }, 'robot-sender'],
    [{ from: { name: '', address: 'no-reply.cn@bank.example' } }, 'robot-sender'],
    [{ from: { name: '', address: 'oa_noreply@bank.example' } }, 'robot-sender'],
    [{ from: { name: '', address: 'system-noreply@bank.example' } }, 'robot-sender'],
    [{ from: { name: '', address: 'contest-list-bounces@lists.example' } }, 'robot-sender'],
    [
      {
        contentType: 'multipart/mixed',
        headers: { 'content-type': ['multipart/mixed; report-type=delivery-status; boundary=x'] },
      },
      'bounce',
    ],
  ] as [Partial<ParsedMail>, string][])('%j → %s', (over, reason) => {
    expect(autoReplyReason(mail(over))).toBe(reason);
  });

  it('does not take Auto-Submitted: no, a person, or an auto-reply-looking subject with files', () => {
    expect(autoReplyReason(mail({ headers: { 'auto-submitted': ['no'] } }))).toBeNull();
    // RFC 3834 allows a comment after the value.
    expect(autoReplyReason(mail({ headers: { 'auto-submitted': ['No (manual)'] } }))).toBeNull();
    expect(autoReplyReason(mail())).toBeNull();
    // A person whose name starts like a robot's word is a person.
    const lookalike = mail({ from: { name: '', address: 'noreplyaccount2x@bank.example' } });
    expect(autoReplyReason(lookalike)).toBeNull();
    // Nor one whose name ends like one without a separator before it.
    for (const address of ['zhangnoreply@bank.example', 'li.bouncesfeng@bank.example'])
      expect(autoReplyReason(mail({ from: { name: '', address } })), address).toBeNull();
    expect(autoReplyReason(mail({ headers: { precedence: ['first-class'] } }))).toBeNull();
    const withFile = {
      filename: 'a.doc',
      contentType: 'application/msword',
      content: Buffer.from('x'),
    };
    expect(autoReplyReason(mail({ subject: '自动回复', attachments: [withFile] }))).toBeNull();
  });

  it('recognises our own address, case-insensitively', () => {
    const own = mail({ from: { name: '', address: 'ZhaoFeifei1@xinhua.org' } });
    expect(autoReplyReason(own, ['zhaofeifei1@xinhua.org'])).toBe('own-address');
    expect(autoReplyReason(own)).toBeNull();
  });
});

describe('classify', () => {
  it('a forwarded or raw-GBK submission with files is a submission', async () => {
    expect(classify(await fixture('raw-gbk-subject.eml'), { separators })).toBe('submission');
    expect(classify(await fixture('forwarded-submission.eml'), { separators })).toBe('submission');
  });

  it('no attachment and no org+title subject is an inquiry', () => {
    expect(classify(mail({ subject: '请问截止时间是哪天？' }), { separators })).toBe('inquiry');
    expect(classify(mail({ subject: '+案例' }), { separators })).toBe('inquiry');
  });

  it('a mail whose MIME structure could not be read is a submission, whatever its subject', async () => {
    const parts = Array.from(
      { length: 1100 },
      () => '--p\r\nContent-Type: text/plain\r\n\r\nx\r\n',
    );
    const broken = await parseMail(
      Buffer.from(
        `Subject: =?UTF-8?B?${Buffer.from('申报材料').toString('base64')}?=\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n${parts.join('')}--p--\r\n`,
      ),
    );
    expect(broken.structureError).toBeDefined();
    expect(broken.subject).toBe('申报材料');
    expect(classify(broken, { separators })).toBe('submission');
  });

  it('an org+title subject without files is still a (failing) submission', () => {
    expect(classify(mail({ subject: '某银行＋案例' }), { separators })).toBe('submission');
  });

  it('auto-replies win over everything', async () => {
    expect(classify(await fixture('out-of-office.eml'), { separators })).toBe('auto_reply');
  });

  it('hasSeparatedSubject needs text on both sides of some separator', () => {
    expect(hasSeparatedSubject('a + b', separators)).toBe(true);
    expect(hasSeparatedSubject('C++', separators)).toBe(false);
    expect(hasSeparatedSubject('a+', separators)).toBe(false);
    expect(hasSeparatedSubject('＋b', separators)).toBe(false);
    expect(hasSeparatedSubject('+a+b', separators)).toBe(true);
  });
});
