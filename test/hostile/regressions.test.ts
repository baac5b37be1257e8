// Regression tests for the bugs the hostile corpus found, at the level of the module fixed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeZip, repeated } from '../../scripts/hostile/zip.js';
import { loadContest } from '../../src/config/contest.js';
import { readDocx } from '../../src/documents/docx.js';
import { readOne } from '../../src/documents/index.js';
import { DocumentError } from '../../src/documents/problems.js';
import { parseMail } from '../../src/mail/parse.js';

const profile = loadContest();
const HOSTILE = new URL('../../fixtures/hostile/', import.meta.url).pathname;
const MIB = 1024 * 1024;
const PARA = Buffer.from('<w:p><w:r><w:t>案例报告正文</w:t></w:r></w:p>');

const docxWith = (documentXmlBytes: number) =>
  makeZip([
    { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
    { name: 'word/document.xml', data: () => repeated(PARA, documentXmlBytes) },
  ]);

/** Rewrites every size field of a zip to `claimed`: headers that lie about the content. */
function lieAboutSizes(zip: Buffer, claimed: number): Buffer {
  const out = Buffer.from(zip);
  for (let at = out.indexOf('PK\x03\x04'); at >= 0; at = out.indexOf('PK\x03\x04', at + 4))
    out.writeUInt32LE(claimed, at + 22);
  for (let at = out.indexOf('PK\x01\x02'); at >= 0; at = out.indexOf('PK\x01\x02', at + 4))
    out.writeUInt32LE(claimed, at + 24);
  return out;
}

const tooLarge = (e: unknown) => e instanceof DocumentError && e.problem.kind === 'too_large';

describe('readDocx never hands mammoth a part it would inflate whole', () => {
  it('refuses a document.xml over 16 MB before parsing it', async () => {
    await expect(readDocx(await docxWith(20 * MIB), profile.limits)).rejects.toSatisfy(tooLarge);
  });

  it('refuses one whose headers claim it is small (the inflated bytes are counted)', async () => {
    const lying = lieAboutSizes(await docxWith(20 * MIB), 100);
    await expect(readDocx(lying, profile.limits)).rejects.toThrow();
  });
});

describe('archive limits', () => {
  it('reports a nested bomb once for the whole attachment, naming its path', async () => {
    const raw = readFileSync(`${HOSTILE}zip-bomb-nested.eml`);
    const mail = await parseMail(raw);
    const zip = mail.attachments[0];
    const reads = await readOne(zip?.filename ?? '', zip?.content ?? Buffer.alloc(0), profile);
    const problems = reads.flatMap((r) => r.problems);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^压缩包嵌套超过 3 层（申报材料\.zip \/ /);
  });
});

describe('parseMail past the part cap', () => {
  it('marks the structure as unread, so rules do not take "no attachment" as certain', async () => {
    const mail = await parseMail(readFileSync(`${HOSTILE}attachments-1000.eml`));
    expect(mail.structureError).toMatch(/child nodes/);
    expect(mail.attachments).toHaveLength(0);
    expect(mail.subject).toContain('+');
  });
});

// Each input below held a thread for minutes through a regular expression that backtracked
// quadratically; the linear forms take milliseconds. The bound only tells a hang from an answer.
const HANG = 10_000;
const spaced = (n: number) => `甲${' '.repeat(n)}乙`;

describe('text that made a regular expression backtrack', () => {
  it('a Word paragraph and cell with a long run of spaces inside', async () => {
    const p = (text: string) => `<w:p><w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
    const xml = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${p(spaced(300_000))}<w:tbl><w:tr><w:tc>${p(spaced(300_000))}</w:tc></w:tr></w:tbl></w:body></w:document>`;
    const docx = await makeZip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'word/document.xml', data: Buffer.from(xml) },
    ]);
    const started = Date.now();
    const word = await readDocx(docx, profile.limits);
    expect(Date.now() - started).toBeLessThan(HANG);
    expect(word.paragraphs[0]).toBe(spaced(300_000));
    expect(word.tables[0]?.[0]?.[0]?.text).toBe(spaced(300_000));
  });

  it('a Date header of open parentheses, and an encoded word that never ends', async () => {
    const raw = Buffer.concat([
      Buffer.from(
        `From: a@example.cn\r\nDate: ${'('.repeat(200_000)}\r\nSubject: \xb2\xe2=?`,
        'latin1',
      ),
      Buffer.from(`${'*'.repeat(150_000)}+Title\r\n\r\nbody\r\n`, 'latin1'),
    ]);
    const started = Date.now();
    const mail = await parseMail(raw);
    expect(Date.now() - started).toBeLessThan(HANG);
    expect(mail.date).toBeNull();
    expect(mail.subject).toMatch(/^测=\?\*+\+Title$/);
  });
});

