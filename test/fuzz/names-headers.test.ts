// Properties of header repair (src/mail/charset.ts, parseMail over raw bytes) and zip name
// decoding (src/documents/archive.ts) on arbitrary bytes. test/mail/header-repair.test.ts holds
// the GBK round trip and "any bytes as a whole message"; these go after the pieces.
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeZipName, sanitizeEntryPath } from '../../src/documents/archive.js';
import { decodeEncodedWords, decodeUndeclared, sanitizeFilename } from '../../src/mail/charset.js';
import { parseMail } from '../../src/mail/parse.js';

const RUNS = { numRuns: 300, seed: 20251020 };
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
// Chinese, ASCII and the characters that break naive splitting, as whole strings.
const chinese = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((cp) => String.fromCodePoint(cp)),
    fc.constantFrom('a', 'Z', '0', ' ', '.', '-', '（', '）', '＋', '+', '?', '=', '_'),
  ),
  minLength: 1,
  maxLength: 40,
});
const cuts = (length: number) =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 5 });

/** `text` as encoded-words, its bytes cut at arbitrary offsets (mid-character too). */
function encodedWords(text: string, charset: string, at: number[], q: boolean): string {
  const buf = iconv.encode(text, charset);
  const points = [0, ...at.filter((n) => n < buf.length).sort((x, y) => x - y), buf.length];
  const words: string[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const piece = buf.subarray(points[i], points[i + 1]);
    if (piece.length === 0) continue;
    const payload = q
      ? [...piece].map((b) => `=${b.toString(16).padStart(2, '0').toUpperCase()}`).join('')
      : piece.toString('base64');
    words.push(`=?${charset}?${q ? 'Q' : 'B'}?${payload}?=`);
  }
  return words.join(' ');
}

describe('header repair (fuzz)', () => {
  it('decodes any bytes without throwing, to at most one character per byte', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        expect(decodeUndeclared(b).length).toBeLessThanOrEqual(b.length);
      }),
      RUNS,
    );
  });

  it('keeps valid UTF-8 that holds Chinese exactly as sent', () => {
    fc.assert(
      fc.property(chinese, (s) => {
        fc.pre(/[\u4e00-\u9fa5]/.test(s));
        expect(decodeUndeclared(Buffer.from(s, 'utf8'))).toBe(s);
      }),
      RUNS,
    );
  });

  it('joins adjacent encoded-words as bytes, so a character split across words survives (UTF-8, GBK, B and Q)', () => {
    fc.assert(
      fc.property(
        chinese,
        fc.constantFrom('utf-8', 'gbk', 'gb18030'),
        fc.boolean(),
        fc.nat(),
        (s, charset, q, seed) => {
          const length = iconv.encode(s, charset).length;
          const at = fc.sample(cuts(length), { numRuns: 1, seed })[0] ?? [];
          expect(decodeEncodedWords(encodedWords(s, charset, at, q))).toBe(s);
        },
      ),
      RUNS,
    );
  });

  it('survives malformed encoded-words (unknown charsets, bad base64, stray ?=)', () => {
    const word = fc
      .tuple(
        fc.constantFrom('utf-8', 'gbk', 'x-unknown', 'big5', '', 'utf-7', 'iso-2022-jp'),
        fc.constantFrom('B', 'Q', 'b', 'x'),
        fc.string({ maxLength: 30 }),
      )
      .map(([c, e, p]) => `=?${c}?${e}?${p}?=`);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word, fc.string({ maxLength: 10 })), { maxLength: 8 }),
        (parts) => {
          expect(typeof decodeEncodedWords(parts.join(''))).toBe('string');
        },
      ),
      RUNS,
    );
  });

  it('makes any name a safe file name: no folders, controls or bidi marks, ≤ 200 characters, never empty', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 600 }),
          fc.constantFrom('..', '../..', '/', '\u202e', '....docx'),
        ),
        (name) => {
          const clean = sanitizeFilename(name, 1, 'application/pdf');
          expect(clean).not.toBe('');
          expect(clean).not.toMatch(/[/\\]/);
          expect(clean).not.toMatch(UNSAFE);
          expect(clean.startsWith('.')).toBe(false);
          expect(Array.from(clean).length).toBeLessThanOrEqual(200);
        },
      ),
      RUNS,
    );
  });

  it('parses any bytes in the Subject and file name without losing the attachment', async () => {
    const headerBytes = fc
      .uint8Array({ maxLength: 80 })
      .map((a) => Buffer.from(a.filter((b) => b !== 0x0a && b !== 0x0d && b !== 0x22)));
    await fc.assert(
      fc.asyncProperty(headerBytes, headerBytes, async (subject, name) => {
        const raw = Buffer.concat([
          Buffer.from('From: a@bank.example\r\nSubject: '),
          subject,
          Buffer.from(
            '\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n',
          ),
          Buffer.from(
            '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="',
          ),
          name,
          Buffer.from('.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n'),
        ]);
        const mail = await parseMail(raw);
        expect(mail.attachments).toHaveLength(1);
        expect(mail.attachments[0]?.content.toString()).toBe('%PDF-');
        expect(mail.attachments[0]?.filename).not.toMatch(UNSAFE);
      }),
      { numRuns: 150, seed: 20251020 },
    );
  });
});

describe('zip names (fuzz)', () => {
  const extra = fc.array(
    fc.record({
      id: fc.constantFrom(0x7075, 0x5455, 0x0001),
      data: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    }),
    { maxLength: 3 },
  );

  it('decodes any raw name, flags and extra fields without throwing; unflagged names never gain U+FFFD', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: 0, max: 0xffff }), extra, (raw, flags, fields) => {
        const name = decodeZipName(raw, flags, fields);
        expect(typeof name).toBe('string');
        const unicodeField = fields.some((f) => f.id === 0x7075);
        if (!(flags & 0x800) && !unicodeField && !raw.includes(Buffer.from('\uFFFD')))
          expect(name).not.toContain('\uFFFD');
      }),
      RUNS,
    );
  });

  it('reads a UTF-8 name back exactly with the flag, without it, and from a matching 0x7075 field', () => {
    fc.assert(
      fc.property(chinese, bytes, (s, junk) => {
        const utf8 = Buffer.from(s, 'utf8');
        expect(decodeZipName(utf8, 0x800, [])).toBe(s);
        expect(decodeZipName(utf8, 0, [])).toBe(s);
        fc.pre(junk.length > 0);
        const field = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), utf8]);
        field.writeUInt32LE(crc32(junk), 1);
        expect(decodeZipName(junk, 0, [{ id: 0x7075, data: field }])).toBe(s);
      }),
      RUNS,
    );
  });

  it('sanitised entry paths are relative, without `..`, backslashes, controls or bidi marks, and stable', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', 'C:', 'c:', '\u0000', '.\u0000.', '\u202e', '材料', 'a b'),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    const pathArb = fc
      .tuple(fc.array(segment, { maxLength: 6 }), fc.constantFrom('/', '\\'))
      .map(([s, sep]) => s.join(sep));
    fc.assert(
      fc.property(fc.oneof(pathArb, fc.string({ unit: 'binary', maxLength: 100 })), (name) => {
        const safe = sanitizeEntryPath(name);
        if (safe === null) return;
        expect(safe.split('/')).not.toContain('..');
        expect(safe).not.toMatch(/^\/|^[A-Za-z]:|\\/);
        expect(safe).not.toMatch(UNSAFE);
        expect(sanitizeEntryPath(safe)).toBe(safe);
      }),
      { numRuns: 1000, seed: 20251020 },
    );
  });
});
