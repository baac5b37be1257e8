import { createReadStream, type ReadStream, readFileSync } from 'node:fs';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { findNameInRaw } from '../../src/mail/charset.js';
import {
  parseHeaderDate,
  parseMail,
  receivedAtFromHeaders,
  receivedAtOfRaw,
  sanitizeFilename,
} from '../../src/mail/parse.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/mail/${name}`, import.meta.url).pathname);

describe('parseMail: Chinese headers', () => {
  it('recovers a raw 8-bit GBK subject, display name and file name (Foxmail / Outlook Express)', async () => {
    const mail = await parseMail(fixture('raw-gbk-subject.eml'));
    expect(mail.subject).toBe('中国某某银行＋基于知识图谱的智能风控实践');
    expect(mail.from).toEqual({ name: '张三', address: 'zhangsan@bank.example' });
    expect(mail.attachments.map((a) => a.filename)).toEqual(['申报表.doc']);
    expect(mail.attachments[0]?.contentType).toBe('application/msword');
    expect(mail.text).toContain('附件是我行的申报材料');
    expect(mail.headers['x-mailer']).toEqual(['Foxmail 4.2 [cn]']);
    expect(mail.headers.subject?.[0]).toBe('中国某某银行＋基于知识图谱的智能风控实践');
    expect(mail.messageId).toBe('<20251018091130.AB12@bank.example>');
  });

  it('decodes encoded-words and RFC 2231 names in GBK, mislabelled GB2312 and Big5', async () => {
    const mail = await parseMail(fixture('rfc2231-gbk-filename.eml'));
    expect(mail.subject).toBe('镕金科技有限公司+供应链金融案例');
    expect(mail.from?.name).toBe('朱镕');
    expect(mail.attachments.map((a) => a.filename)).toEqual([
      '申报表（盖章版）.pdf',
      '案例报告.docx',
      '商標.jpg',
    ]);
  });
});

describe('findNameInRaw', () => {
  const names = ['附件.doc', '朱镕的申报表.docx', '申报表.pdf'];

  it("takes the message's name that agrees with the broken one outside its replacement characters", () => {
    expect(findNameInRaw('朱\uFFFD的申报表.docx', names)).toBe('朱镕的申报表.docx');
    expect(findNameInRaw('朱\uFFFD\uFFFD申报表.docx', names)).toBe('朱镕的申报表.docx');
    expect(findNameInRaw('\uFFFD\uFFFD.doc', names)).toBe('附件.doc');
    expect(findNameInRaw('申报表.\uFFFD', names)).toBe('申报表.pdf');
    // The ends must agree exactly, and a replacement stands for at least one character.
    expect(findNameInRaw('朱\uFFFD的申报表.doc', names)).toBeNull();
    expect(findNameInRaw('申报表\uFFFD.pdf', names)).toBeNull();
    expect(findNameInRaw('朱\uFFFD的申报表.docx', ['朱\uFFFD的申报表.docx'])).toBeNull();
  });

  it('answers at once for a hostile name of many pieces against a long near-miss', () => {
    // As a regular expression (^a.+a.+…a$) this backtracks exponentially: it never returned.
    const broken = Array(30).fill('a').join('\uFFFD');
    expect(findNameInRaw(broken, [`${'a'.repeat(5_000)}b`])).toBeNull();
    expect(findNameInRaw(broken, ['a'.repeat(59)])).toBe('a'.repeat(59));
    expect(findNameInRaw(broken, ['a'.repeat(58)])).toBeNull();
  });
});

describe('parseMail: attachments', () => {
  it('keeps a named inline image, names a nameless image, and leaves nameless text as body', async () => {
    const mail = await parseMail(fixture('inline-image-with-name.eml'));
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['商标.jpg', 'image/jpeg'],
      ['attachment-2.png', 'image/png'],
    ]);
    expect(mail.attachments[0]?.content.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('strips directories, bidi overrides and length from file names, never leaving one empty', async () => {
    const mail = await parseMail(fixture('dangerous-filenames.eml'));
    const names = mail.attachments.map((a) => a.filename);
    expect(names.slice(0, 3)).toEqual(['passwd', '申报表.doc', 'fdp.exe']);
    expect(Array.from(names[3] ?? '')).toHaveLength(200);
    expect(names[3]?.endsWith('.pdf')).toBe(true);
    expect(names[4]).toBe('attachment-5.pdf');
  });

  it('sanitizeFilename falls back to a typed name', () => {
    expect(sanitizeFilename('', 3, 'image/jpeg')).toBe('attachment-3.jpg');
    expect(sanitizeFilename('a/\u0000\u0007', 1, 'application/x-unknown')).toBe('attachment-1.bin');
  });
});

describe('parseMail: forwarded submissions', () => {
  it('reads the inner message/rfc822 as the submission and keeps the forwarder as applicant', async () => {
    const mail = await parseMail(fixture('forwarded-submission.eml'));
    expect(mail.forwarded).toBe(true);
    expect(mail.subject).toBe('某某银行+智能投顾创新案例');
    expect(mail.attachments.map((a) => a.filename)).toEqual(['申报表.doc', 'logo.jpg']);
    expect(mail.from).toEqual({ name: '办公室王五', address: 'wangwu@bank.example' });
    expect(mail.replyTo?.address).toBe('wangwu@bank.example');
    expect(mail.warnings.join('')).toMatch(/转发/);
  });

  it('leaves a bounce that returns the original message alone', async () => {
    const bounce = Buffer.from(
      'From: MAILER-DAEMON@qq.com\r\nSubject: 退信\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n' +
        '--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n' +
        '--r\r\nContent-Type: message/rfc822\r\n\r\n' +
        'Subject: a+b\r\nContent-Type: multipart/mixed; boundary="i"\r\n\r\n' +
        '--i\r\nContent-Type: application/pdf; name="x.pdf"\r\n\r\n%PDF\r\n--i--\r\n' +
        '--r--\r\n',
    );
    const mail = await parseMail(bounce);
    expect(mail.forwarded).toBe(false);
    expect(mail.subject).toBe('退信');
    expect(mail.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
  });
});

describe('parseMail: dates', () => {
  it('does not invent a date for an invalid Date header, and reads Received newest first', async () => {
    const mail = await parseMail(fixture('invalid-date.eml'));
    expect(mail.date).toBeNull();
    expect(mail.receivedDates.map((d) => d.toISOString())).toEqual([
      '2025-10-20T15:59:30.000Z',
      '2025-10-20T15:58:00.000Z',
    ]);
    expect(mail.messageId).toBe('<invalid-date@bank.example>');
    expect(receivedAtFromHeaders(mail)).toEqual({
      at: new Date('2025-10-20T23:59:30+08:00'),
      source: 'received',
    });
  });

  it('falls back to the Date header, then to nothing', async () => {
    const mail = await parseMail(fixture('out-of-office.eml'));
    expect(receivedAtFromHeaders(mail)).toEqual({
      at: new Date('2025-10-18T09:00:00+08:00'),
      source: 'date',
    });
    expect(receivedAtFromHeaders({ ...mail, date: null })).toBeNull();
  });

  it('parseHeaderDate needs a time of day and drops comments', () => {
    expect(parseHeaderDate('Mon, 20 Oct 2025 10:00:00 +0800 (CST)')?.toISOString()).toBe(
      '2025-10-20T02:00:00.000Z',
    );
    expect(parseHeaderDate('foo 1')).toBeNull();
    expect(parseHeaderDate('')).toBeNull();
  });

  it('parseHeaderDate takes no zone it would have to guess: a bare CST, or none', () => {
    expect(parseHeaderDate('Mon, 20 Oct 2025 23:30:00 GMT')?.toISOString()).toBe(
      '2025-10-20T23:30:00.000Z',
    );
    expect(parseHeaderDate('20 Oct 2025 23:30 -0500')?.toISOString()).toBe(
      '2025-10-21T04:30:00.000Z',
    );
    for (const clear of ['Mon, 20 Oct 2025 23:30:00 GMT+0800', 'Mon, 20 Oct 2025 23:30 +0800 CST'])
      expect(parseHeaderDate(clear)?.toISOString()).toBe('2025-10-20T15:30:00.000Z');
    // China's +0800 to the server that wrote it, the US's -0600 to V8: 14 hours apart.
    expect(parseHeaderDate('Mon, 20 Oct 2025 23:30:00 CST')).toBeNull();
    expect(parseHeaderDate('Mon, 20 Oct 2025 23:30:00')).toBeNull();
  });

  it("takes an older Received: time over one whose zone is a guess, for a file's receive time", async () => {
    const raw = Buffer.from(
      [
        'Received: from mx.example.cn by mail.example.cn; Mon, 20 Oct 2025 23:30:00 CST',
        'Received: from pc by mx.example.cn; Mon, 20 Oct 2025 23:29:58 +0800',
        'Subject: x',
        '',
        'body',
      ].join('\r\n'),
    );
    expect(await receivedAtOfRaw(raw)).toEqual({
      at: new Date('2025-10-20T23:29:58+08:00'),
      source: 'received',
    });
  });
});

describe('parseMail: garbage in, a value out', () => {
  it.each([
    ['empty input', Buffer.alloc(0)],
    ['binary noise', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['headers only', Buffer.from('Subject: hi')],
    ['broken boundary', Buffer.from('Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--')],
    [
      'UTF-16 body',
      Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), Buffer.from('\uFEFF申报', 'utf16le')]),
    ],
  ])('%s', async (_name, raw) => {
    const mail = await parseMail(raw);
    expect(Array.isArray(mail.attachments)).toBe(true);
    expect(typeof mail.subject).toBe('string');
  });

  it('returns the headers and a warning when mailparser gives up (over 1000 parts)', async () => {
    const parts = Array.from(
      { length: 1100 },
      () => '--p\r\nContent-Type: text/plain\r\n\r\nx\r\n',
    );
    const raw = Buffer.from(
      `Subject: many\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n${parts.join('')}--p--\r\n`,
    );
    const mail = await parseMail(raw);
    expect(mail.subject).toBe('many');
    expect(mail.warnings[0]).toMatch(/邮件结构无法解析/);
    // The parser's English is for the organisers; the warning reaches the applicant's letter.
    expect(mail.structureError).toMatch(/[A-Za-z]{4,}/);
    expect(mail.warnings[0]).not.toMatch(/[A-Za-z]/);
  });

  it('fails, not falls back, when a stored message cannot be read to the end', async () => {
    // A disk error is no fault of the mail: the job must fail and retry, not file a broken mail.
    // Only the first read fails, so a fallback that read the headers again would succeed.
    const raw = fixture('deep-nesting.eml');
    let opened = 0;
    const source = {
      size: raw.length,
      open: () =>
        Readable.from(
          (async function* () {
            yield raw.subarray(0, 100);
            if (opened++ === 0) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
            yield raw.subarray(100);
          })(),
        ),
    };
    await expect(parseMail(source)).rejects.toMatchObject({ code: 'EIO' });
  });

  it('closes a stored message it gave up on halfway (no file left open)', async () => {
    // Past 1000 parts mailparser fails with megabytes still unread behind them.
    const parts = Array.from(
      { length: 1100 },
      () => '--p\r\nContent-Type: text/plain\r\n\r\nx\r\n',
    );
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'intake-parse-')), 'many.eml');
    await writeFile(
      file,
      `Subject: many\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n${parts.join('')}${'y'.repeat(8 << 20)}\r\n--p--\r\n`,
    );
    const opened: ReadStream[] = [];
    const source = {
      size: (await stat(file)).size,
      open: () => {
        const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
        opened.push(stream);
        return stream;
      },
    };
    const mail = await parseMail(source);
    expect(mail.warnings[0]).toMatch(/邮件结构无法解析/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.map((s) => s.closed)).toEqual(opened.map(() => true));
  });

  it('reads a file at the bottom of 100 nested multiparts', async () => {
    const mail = await parseMail(fixture('deep-nesting.eml'));
    expect(mail.attachments.map((a) => a.filename)).toEqual(['deep.pdf']);
  });
});
