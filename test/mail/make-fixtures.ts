// Writes fixtures/mail/*.eml. Run once (`npx tsx test/mail/make-fixtures.ts`) and commit the
// output: the files hold raw GBK bytes that are easier to produce with iconv-lite than by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';

const dir = new URL('../../fixtures/mail/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });

const gbk = (s: string) => iconv.encode(s, 'gbk');
const b64 = (s: string, cs: string) => iconv.encode(s, cs).toString('base64');
const pct = (s: string, cs: string) =>
  [...iconv.encode(s, cs)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
/** A tiny JPEG-looking payload: the mail layer never decodes images. */
const JPEG_B64 = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9,
]).toString('base64');
const PNG_B64 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');

function write(name: string, ...parts: (string | Buffer)[]) {
  const bytes = Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)),
  );
  writeFileSync(path.join(dir, name), bytes);
}

// Foxmail 4 / Outlook Express: raw GBK in Subject, From and the attachment name, no encoded-words.
write(
  'raw-gbk-subject.eml',
  'Received: from mx.bank.example (mx.bank.example [10.0.0.1]) by mail.xinhua.example;\r\n',
  '\tSat, 18 Oct 2025 09:12:00 +0800\r\n',
  'From: "',
  gbk('张三'),
  '" <zhangsan@bank.example>\r\n',
  'To: zhaofeifei1@xinhua.org\r\n',
  'Subject: ',
  gbk('中国某某银行＋基于知识图谱的智能风控实践'),
  '\r\n',
  'Date: Sat, 18 Oct 2025 09:11:30 +0800\r\n',
  'Message-ID: <20251018091130.AB12@bank.example>\r\n',
  'X-Mailer: Foxmail 4.2 [cn]\r\n',
  'MIME-Version: 1.0\r\n',
  'Content-Type: multipart/mixed; boundary="=====001_Dragon"\r\n\r\n',
  '--=====001_Dragon\r\nContent-Type: text/plain; charset="gb2312"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
  gbk('您好，附件是我行的申报材料。'),
  '\r\n',
  '--=====001_Dragon\r\nContent-Type: application/msword; name="',
  gbk('申报表.doc'),
  '"\r\n',
  'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="',
  gbk('申报表.doc'),
  '"\r\n\r\n',
  Buffer.from('not really a doc').toString('base64'),
  '\r\n',
  '--=====001_Dragon--\r\n',
);

// Encoded-words and RFC 2231 in Chinese charsets, one label too narrow for its bytes (镕 is GBK,
// not GB2312), one GBK character split across two base64 words, a Big5 name.
const split = gbk('案例报告.docx');
write(
  'rfc2231-gbk-filename.eml',
  'From: =?gb2312?B?',
  b64('朱镕', 'gbk'),
  '?= <zhu@fintech.example>\r\n',
  'Subject: =?gb2312?B?',
  b64('镕金科技有限公司+供应链金融案例', 'gbk'),
  '?=\r\n',
  'Date: Mon, 13 Oct 2025 10:00:00 +0800\r\n',
  'Message-ID: <rfc2231@fintech.example>\r\n',
  'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n',
  '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n请查收。\r\n',
  '--b1\r\nContent-Type: application/pdf\r\n',
  `Content-Disposition: attachment; filename*=gbk''${pct('申报表（盖章版）.pdf', 'gbk')}\r\n`,
  'Content-Transfer-Encoding: base64\r\n\r\n',
  Buffer.from('%PDF-1.4').toString('base64'),
  '\r\n',
  '--b1\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n',
  ` name="=?GBK?B?${split.subarray(0, 3).toString('base64')}?= =?GBK?B?${split.subarray(3).toString('base64')}?="\r\n`,
  'Content-Transfer-Encoding: base64\r\n\r\n',
  Buffer.from('PK').toString('base64'),
  '\r\n',
  '--b1\r\nContent-Type: image/jpeg\r\n',
  `Content-Disposition: attachment; filename="=?big5?B?${b64('商標.jpg', 'big5')}?="\r\n`,
  'Content-Transfer-Encoding: base64\r\n\r\n',
  JPEG_B64,
  '\r\n',
  '--b1--\r\n',
);

const inner = [
  'From: =?utf-8?B?',
  b64('李四', 'utf8'),
  '?= <lisi@bank.example>\r\n',
  'To: zhaofeifei1@xinhua.org\r\n',
  'Subject: =?utf-8?B?',
  b64('某某银行+智能投顾创新案例', 'utf8'),
  '?=\r\n',
  'Date: Fri, 17 Oct 2025 16:00:00 +0800\r\n',
  'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="inner"\r\n\r\n',
  '--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n申报材料见附件。\r\n',
  '--inner\r\nContent-Type: application/msword\r\nContent-Disposition: attachment; filename="=?utf-8?B?',
  b64('申报表.doc', 'utf8'),
  '?="\r\nContent-Transfer-Encoding: base64\r\n\r\n',
  Buffer.from('doc').toString('base64'),
  '\r\n',
  '--inner\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename="logo.jpg"\r\n',
  'Content-Transfer-Encoding: base64\r\n\r\n',
  JPEG_B64,
  '\r\n',
  '--inner--\r\n',
].join('');
write(
  'forwarded-submission.eml',
  'From: =?utf-8?B?',
  b64('办公室王五', 'utf8'),
  '?= <wangwu@bank.example>\r\n',
  'Reply-To: wangwu@bank.example\r\n',
  'To: zhaofeifei1@xinhua.org\r\n',
  'Subject: =?utf-8?B?',
  b64('转发：某某银行+智能投顾创新案例', 'utf8'),
  '?=\r\n',
  'Date: Sat, 18 Oct 2025 08:00:00 +0800\r\n',
  'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n',
  '--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n转发同事的申报邮件。\r\n',
  '--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n',
  inner,
  '\r\n--outer--\r\n',
);

// The Date header does not parse (mailparser would report "now"); the Received stamps do.
write(
  'invalid-date.eml',
  'Received: from relay.example by mx.xinhua.example with ESMTPS id 1; Mon, 20 Oct 2025 23:59:30 +0800\r\n',
  'Received: from client.example by relay.example with ESMTP id 2; Mon, 20 Oct 2025 23:58:00 +0800\r\n',
  'Received: from garbled.example by relay.example; not a date at all\r\n',
  'Received: by localhost without a semicolon\r\n',
  'From: applicant@bank.example\r\nTo: zhaofeifei1@xinhua.org\r\n',
  'Subject: =?utf-8?B?',
  b64('某银行+案例', 'utf8'),
  '?=\r\n',
  'Date: ',
  '2025年10月18日 下午3:12',
  '\r\n',
  'Message-ID: invalid-date@bank.example\r\n',
  'Content-Type: text/plain; charset=utf-8\r\n\r\n正文\r\n',
);

// multipart/related: a named inline logo is an attachment; a nameless image gets a made-up name;
// a nameless text part is body, not a file.
write(
  'inline-image-with-name.eml',
  'From: applicant@bank.example\r\nTo: zhaofeifei1@xinhua.org\r\n',
  'Subject: =?utf-8?B?',
  b64('某银行+案例', 'utf8'),
  '?=\r\n',
  'Date: Sat, 18 Oct 2025 09:00:00 +0800\r\n',
  'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="rel"; type="text/html"\r\n\r\n',
  '--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>你好<img src="cid:logo@x"></p>\r\n',
  '--rel\r\nContent-Type: image/jpeg; name="=?utf-8?B?',
  b64('商标.jpg', 'utf8'),
  '?="\r\n',
  'Content-Disposition: inline\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n',
  JPEG_B64,
  '\r\n',
  '--rel\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n',
  PNG_B64,
  '\r\n',
  '--rel\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment\r\n\r\n附言\r\n',
  '--rel--\r\n',
);

// Path tricks and control characters in names.
write(
  'dangerous-filenames.eml',
  'From: applicant@bank.example\r\nSubject: x+y\r\nMIME-Version: 1.0\r\n',
  'Content-Type: multipart/mixed; boundary="d"\r\n\r\n',
  '--d\r\nContent-Type: text/plain\r\n\r\nbody\r\n',
  '--d\r\nContent-Type: application/octet-stream; name="../../etc/passwd"\r\n\r\nx\r\n',
  '--d\r\nContent-Type: application/msword; name="C:\\\\Users\\\\admin\\\\',
  gbk('申报表.doc'),
  '"\r\n\r\nx\r\n',
  '--d\r\nContent-Type: application/pdf; name="=?utf-8?B?',
  b64('\u202Efdp.exe', 'utf8'),
  '?="\r\n\r\nx\r\n',
  `--d\r\nContent-Type: application/pdf; name="${'长'.repeat(300)}.pdf"\r\n\r\nx\r\n`,
  '--d\r\nContent-Type: application/pdf; name=".."\r\n\r\nx\r\n',
  '--d--\r\n',
);

const plain = (headers: string, subject: string, body = '您好') =>
  `${headers}From: someone@bank.example\r\nTo: zhaofeifei1@xinhua.org\r\n` +
  `Subject: =?utf-8?B?${b64(subject, 'utf8')}?=\r\nDate: Sat, 18 Oct 2025 09:00:00 +0800\r\n` +
  `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;

write('auto-submitted.eml', plain('Auto-Submitted: auto-replied\r\n', 'Re: 某银行+案例'));
write('out-of-office.eml', plain('', '自动回复：您好，我这周休假'));
write(
  'list-mail.eml',
  plain(
    'List-Id: <fintech.lists.example>\r\nList-Unsubscribe: <mailto:leave@lists.example>\r\n',
    '通知',
  ),
);
write('null-return-path.eml', plain('Return-Path: <>\r\n', '系统通知'));

// 100 nested multiparts, then a named file at the bottom.
let nested = '--n100\r\nContent-Type: application/pdf; name="deep.pdf"\r\n\r\n%PDF\r\n--n100--\r\n';
for (let i = 99; i >= 1; i--) {
  nested = `--n${i}\r\nContent-Type: multipart/mixed; boundary="n${i + 1}"\r\n\r\n${nested}--n${i}--\r\n`;
}
write(
  'deep-nesting.eml',
  'From: a@b.example\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary="n1"\r\n\r\n',
  nested,
);
