// The real-world corpus (../shared/corpus/emails): every file parses, quickly, without throwing;
// Chinese subjects come out as Chinese; real bounces are never taken for a person.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/mail/classify.js';
import { parseMail } from '../../src/mail/parse.js';
import { corpusDir, corpusFiles, corpusFound } from '../support/corpus.js';

const separators = ['+', '＋'];
const CHINESE_CHARSETS = /\b(gb2312|gbk|gb18030|big5)\b/i;
/** Han, kana, CJK and full-width punctuation. */
const CJK = /[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;

/** The raw Subject header (unfolded, one char per byte) straight from the file. */
function rawSubject(file: string): string {
  const text = readFileSync(file).toString('latin1');
  const head = text.slice(0, Math.max(0, text.search(/\r?\n\r?\n/)) || text.length);
  const m = /^subject:(.*(?:\r?\n[ \t].*)*)/im.exec(head);
  return (m?.[1] ?? '').replace(/\r?\n/g, '');
}

/**
 * Files whose INDEX.tsv row names a Chinese charset and whose Subject really carries Chinese
 * bytes: raw 8-bit, or an encoded-word in a Chinese charset. (The `cjk_charsets` column is per
 * message, so an English subject of a GBK mail is not counted.)
 */
function chineseSubjectFiles(): string[] {
  const out: string[] = [];
  for (const index of corpusFiles('emails', (f) => f.endsWith('INDEX.tsv'))) {
    const [header, ...rows] = readFileSync(index, 'utf8').split('\n').filter(Boolean);
    const columns = (header ?? '').split('\t');
    const fileCol = columns.indexOf('file');
    const charsetCol = columns.indexOf('cjk_charsets');
    for (const row of rows) {
      const cells = row.split('\t');
      if (!CHINESE_CHARSETS.test(cells[charsetCol] ?? '')) continue;
      const file = path.join(path.dirname(index), cells[fileCol] ?? '');
      const subject = rawSubject(file);
      const chineseWord = /=\?(gb2312|gbk|gb18030|big5)\?/i.test(subject);
      if (chineseWord || /[\x80-\xff]/.test(subject)) out.push(file);
    }
  }
  return out;
}

describe.skipIf(!corpusFound)(`mail corpus sweep (${corpusDir}/emails)`, () => {
  const files = corpusFiles('emails', (f) => path.basename(f) !== 'INDEX.tsv');

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(200);
  });

  for (const file of files) {
    it(`parses ${path.relative(corpusDir, file)}`, async () => {
      const started = performance.now();
      const mail = await parseMail(readFileSync(file));
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeLessThan(10);
      expect(typeof mail.subject).toBe('string');
      expect(['submission', 'inquiry', 'auto_reply']).toContain(classify(mail, { separators }));
    });
  }
});

describe.skipIf(!corpusFound)('mail corpus: Chinese subjects', () => {
  const files = chineseSubjectFiles();

  it('the INDEX lists Chinese subjects to check', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  for (const file of files) {
    it(`decodes the subject of ${path.relative(corpusDir, file)}`, async () => {
      const mail = await parseMail(readFileSync(file));
      expect(mail.subject).not.toContain('\uFFFD');
      expect(mail.subject).toMatch(CJK);
    });
  }
});

describe.skipIf(!corpusFound)('mail corpus: bounces', () => {
  const bounces = [
    ...corpusFiles('emails/sisimai-tencent'),
    ...corpusFiles('emails/mailparser', (f) => f.endsWith('delivery-status.eml')),
  ];

  it('has the Tencent bounces and the delivery-status message', () => {
    expect(bounces).toHaveLength(5);
  });

  for (const file of bounces) {
    it(`classifies ${path.basename(file)} as auto_reply`, async () => {
      const mail = await parseMail(readFileSync(file));
      expect(classify(mail, { separators })).toBe('auto_reply');
    });
  }
});
