// The mail a fault run appends, and what each message should come to. A deadline night's mix:
// mostly quick submissions without files (each is rejected: one reply), every tenth a real fixture
// submission with Word/PDF/JPEG attachments (slow enough to be caught mid-job, and it writes
// attachment blobs), every tenth an out-of-office robot (filed, never answered). Every message has
// its own Message-ID and sender, so each must end as exactly one submission and, unless a robot,
// exactly one reply to its own address (the per-recipient limits never apply).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeMessage } from '../../test/support/mail.js';

export interface FaultMessage {
  /** The Message-ID header, with angle brackets: how the message is found in the store. */
  messageId: string;
  raw: Buffer;
  /** Replies it must get: 1, or 0 for a robot. */
  replies: 0 | 1;
}

const FIXTURES = new URL('../../fixtures/submissions/', import.meta.url).pathname;
const REAL = [
  'accepted-docx.eml',
  'accepted-doc.eml',
  'accepted-zipped-gbk.eml',
  'no-seal.eml',
  'logo-too-big.eml',
  'report-short.eml',
  'corrupt-docx.eml',
  'exe-as-jpg.eml',
];
const ROBOT = 'auto-reply.eml';

const cache = new Map<string, string>();
function fixture(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    // latin1 keeps every byte as one char, so 8-bit bodies survive the header edit unchanged.
    text = readFileSync(path.join(FIXTURES, name)).toString('latin1');
    cache.set(name, text);
  }
  return text;
}

/** A fixture under a new Message-ID and sender address (the headers are single lines). */
function reheader(name: string, messageId: string, address: string): Buffer {
  const text = fixture(name);
  const split = text.search(/\r?\n\r?\n/);
  const head = text
    .slice(0, split)
    .replace(/^Message-ID:[^\r\n]*/im, `Message-ID: ${messageId}`)
    .replace(/^(From:[^\r\n<]*)<[^>\r\n]*>/im, `$1<${address}>`)
    .replace(/^Return-Path:[^\r\n]*<[^>\r\n]+>/im, `Return-Path: <${address}>`);
  return Buffer.from(head + text.slice(split), 'latin1');
}

export async function faultMessages(
  run: string,
  count: number,
  offset = 0,
): Promise<FaultMessage[]> {
  const out: FaultMessage[] = [];
  for (let n = offset; n < offset + count; n++) {
    const messageId = `<fault-${run}-${n}@applicant.example.cn>`;
    const address = `applicant-${run}-${n}@applicant.example.cn`;
    if (n % 10 === 3) {
      const name = REAL[Math.floor(n / 10) % REAL.length] ?? 'accepted-docx.eml';
      out.push({ messageId, raw: reheader(name, messageId, address), replies: 1 });
    } else if (n % 10 === 7) {
      out.push({ messageId, raw: reheader(ROBOT, messageId, address), replies: 0 });
    } else {
      const raw = await makeMessage({
        messageId,
        from: `联系人${n} <${address}>`,
        subject: `故障测试单位${run}-${n}有限公司+故障测试案例${n}`,
      });
      out.push({ messageId, raw, replies: 1 });
    }
  }
  return out;
}
