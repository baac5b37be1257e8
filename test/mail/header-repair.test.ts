// Property: a Chinese subject (and file name) sent as raw GBK bytes, no encoded-words, the way
// Foxmail 4 and Outlook Express did, comes back exactly.
//
// The alphabet is GB2312 level-1 hanzi (the 3755 common characters), full-width punctuation and
// ASCII. With level-2 hanzi some GBK byte strings are also valid UTF-8 that reads as other
// Chinese (E4 B8 B0 E4 B8 B0 is UTF-8 "丰丰" and GBK for three other characters): no decoder can
// tell those apart without a language model, so they are out of the claim.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/mail/parse.js';

const hanzi: string[] = [];
for (let row = 0xb0; row <= 0xd7; row++) {
  for (let cell = 0xa1; cell <= 0xfe; cell++) {
    if (row === 0xd7 && cell > 0xf9) continue; // D7FA–D7FE are unassigned
    hanzi.push(iconv.decode(Buffer.from([row, cell]), 'gbk'));
  }
}
const punctuation = ['＋', '，', '（', '）', '：', '、', '。', '《', '》'];
const ascii = 'abcXYZ0129+-_'.split('');

const subjectArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...hanzi) },
      { weight: 1, arbitrary: fc.constantFrom(...punctuation) },
      { weight: 1, arbitrary: fc.constantFrom(...ascii) },
    ),
    { minLength: 1, maxLength: 40 },
  )
  .map((chars) => chars.join(''));

function rawMail(subject: string): Buffer {
  const gbk = (s: string) => iconv.encode(s, 'gbk');
  return Buffer.concat([
    Buffer.from('From: a@bank.example\r\nSubject: '),
    gbk(subject),
    Buffer.from('\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'),
    Buffer.from('--b\r\nContent-Type: application/msword; name="'),
    gbk(`${subject}.doc`),
    Buffer.from('"\r\n\r\nx\r\n--b--\r\n'),
  ]);
}

describe('header repair (property)', () => {
  it('recovers any GB2312 subject and file name sent as raw GBK', async () => {
    expect(hanzi).toHaveLength(3755);
    await fc.assert(
      fc.asyncProperty(subjectArb, async (subject) => {
        const mail = await parseMail(rawMail(subject));
        expect(mail.subject).toBe(subject);
        expect(mail.attachments[0]?.filename).toBe(`${subject}.doc`);
      }),
      { numRuns: 300, examples: [['楼'], ['你楼']] },
    );
  });

  it('recovers them the same from a stored message read in pieces of any size', async () => {
    // A name's raw bytes may straddle two pieces: the search must still find them.
    const inPieces = (raw: Buffer, size: number) => ({
      size: raw.length,
      open: () =>
        Readable.from(
          Array.from({ length: Math.ceil(raw.length / size) }, (_, i) =>
            raw.subarray(i * size, (i + 1) * size),
          ),
        ),
    });
    await fc.assert(
      fc.asyncProperty(subjectArb, fc.integer({ min: 1, max: 48 }), async (subject, size) => {
        const mail = await parseMail(inPieces(rawMail(subject), size));
        expect(mail.subject).toBe(subject);
        expect(mail.attachments[0]?.filename).toBe(`${subject}.doc`);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        const mail = await parseMail(Buffer.from(bytes));
        expect(typeof mail.subject).toBe('string');
      }),
      { numRuns: 200 },
    );
  });
});
