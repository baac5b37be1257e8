// Real RFC 5322 messages for tests, built by nodemailer's composer (the same code that sends
// mail in production), never hand-concatenated strings.
import MailComposer from 'nodemailer/lib/mail-composer';

export interface MakeMessage {
  subject?: string;
  from?: string;
  text?: string;
  html?: string;
  /** Date of a `Received:` header added on top (the receiving server's clock). */
  receivedAt?: Date;
  attachments?: { filename: string; content: Buffer; contentType?: string }[];
  headers?: Record<string, string>;
  messageId?: string;
}

let counter = 0;

export async function makeMessage(m: MakeMessage = {}): Promise<Buffer> {
  counter++;
  const mail = new MailComposer({
    from: m.from ?? '申报人 <applicant@example.com>',
    to: 'contest@example.org',
    subject: m.subject ?? `示例单位${counter}+示例案例${counter}`,
    text: m.text ?? `您好，附件为申报材料。(${counter})`,
    html: m.html,
    date: new Date('2025-10-10T10:00:00+08:00'),
    messageId: m.messageId ?? `<test-${process.pid}-${counter}-${Date.now()}@example.com>`,
    attachments: m.attachments,
    headers: m.headers,
  });
  const raw: Buffer = await new Promise((resolve, reject) =>
    mail.compile().build((err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out))),
  );
  if (!m.receivedAt) return raw;
  const received = `Received: from mx.example.com by mail.example.org; ${m.receivedAt.toUTCString().replace('GMT', '+0000')}\r\n`;
  return Buffer.concat([Buffer.from(received), raw]);
}
