// A minimal MIME writer for tests: multipart/mixed with base64 parts and RFC 2047 subject and
// RFC 2231 file names, the way Foxmail/Outlook write them.
export interface EmlPart {
  filename: string;
  contentType: string;
  content: Buffer;
}

const b64lines = (buf: Buffer) => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
const word = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;

export function buildEml(opts: {
  subject: string;
  date?: string;
  received?: string;
  text?: string;
  parts: EmlPart[];
}): Buffer {
  const boundary = '----=_Part_intake_test';
  const head = [
    ...(opts.received ? [`Received: from mx.example.cn by mail.xinhua.org; ${opts.received}`] : []),
    'From: =?UTF-8?B?5byg5LiJ?= <zhang@example.cn>',
    'To: zhaofeifei1@xinhua.org',
    `Subject: ${word(opts.subject)}`,
    ...(opts.date ? [`Date: ${opts.date}`] : []),
    '<test-submission@example.cn>'.replace(/^/, 'Message-ID: '),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ];
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    b64lines(Buffer.from(opts.text ?? '您好，附件为申报材料，请查收。')),
    ...opts.parts.flatMap((p) => [
      `--${boundary}`,
      `Content-Type: ${p.contentType}; name="${word(p.filename)}"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(p.filename)}`,
      '',
      b64lines(p.content),
    ]),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from([...head, '', ...body].join('\r\n'));
}
