// Bench messages: make-docs.py makes the documents (LibreOffice and ImageMagick once, cheap
// byte-level variants per message), then test/support/mail.ts composes each .eml with
// nodemailer's composer, as the fixture submissions are.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeMessage } from '../../test/support/mail.js';

const run = promisify(execFile);
const HERE = path.dirname(new URL(import.meta.url).pathname);
/** LibreOffice output is kept between runs: the variants are what differs per run. */
export const BASE_CACHE = path.join(os.tmpdir(), 'intake-bench-base-v1');

export interface BenchMessage {
  raw: Buffer;
  messageId: string;
  subject: string;
}

interface Plan {
  messages: { subject: string; from: string; attachments: { path: string; filename: string }[] }[];
  bigPdf: string;
}

/** Inside the contest's window, so LATE never fails (receive time = IMAP INTERNALDATE). */
export const RECEIVED_AT = new Date('2025-10-10T10:00:00+08:00');

export async function generate(
  dir: string,
  count: number,
): Promise<{ messages: BenchMessage[]; big: BenchMessage }> {
  await run('python3', [path.join(HERE, 'make-docs.py'), dir, String(count), BASE_CACHE], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const plan = JSON.parse(await readFile(path.join(dir, 'plan.json'), 'utf8')) as Plan;
  const messages: BenchMessage[] = [];
  for (const [k, m] of plan.messages.entries()) {
    const attachments = await Promise.all(
      m.attachments.map(async (a) => ({ filename: a.filename, content: await readFile(a.path) })),
    );
    messages.push(
      await compose(`<bench-${k}-${Date.now()}@bench.example>`, m.subject, m.from, attachments),
    );
  }
  // The 30 MB case: the first submission again, with a scanned 30 MB evidence PDF.
  const first = plan.messages[0];
  if (!first) throw new Error('bench: no messages planned');
  const bigAttachments = await Promise.all(
    [...first.attachments, { path: plan.bigPdf, filename: '证明材料-第三方检测报告.pdf' }].map(
      async (a) => ({
        filename: a.filename,
        content: await readFile(a.path),
      }),
    ),
  );
  const big = await compose(
    `<bench-big-${Date.now()}@bench.example>`,
    first.subject,
    first.from.replace('<', '<big-'),
    bigAttachments,
  );
  return { messages, big };
}

async function compose(
  messageId: string,
  subject: string,
  from: string,
  attachments: { filename: string; content: Buffer }[],
): Promise<BenchMessage> {
  const raw = await makeMessage({
    messageId,
    subject,
    from,
    text: '赵老师您好：\n\n附件是我单位的申报材料（申报表、案例报告、商标及盖章扫描件），请查收。\n',
    attachments,
  });
  return { raw, messageId, subject };
}
