// Regression tests for the bugs the hostile corpus found, at the level of the module fixed.
import { readFileSync } from 'node:fs';
import { createDeflate } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeZip, repeated } from '../../scripts/hostile/zip.js';
import { loadContest } from '../../src/config/contest.js';
import { newBudget, readZipEntry, unpackZip } from '../../src/documents/archive.js';
import { readDocx } from '../../src/documents/docx.js';
import { readOne } from '../../src/documents/index.js';
import { readPdf } from '../../src/documents/pdf.js';
import { DocumentError } from '../../src/documents/problems.js';
import { buildWordContent, makeCell } from '../../src/documents/word-content.js';
import { classify } from '../../src/mail/classify.js';
import { parseMail } from '../../src/mail/parse.js';
import { readFormFields } from '../../src/submission/form-fields.js';

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

describe('archives of folders', () => {
  const folders = (n: number, last?: string) =>
    makeZip([
      ...Array.from({ length: n }, (_, i) => ({ name: `d${i}/`, data: Buffer.alloc(0) })),
      ...(last ? [{ name: last, data: Buffer.from('<Types/>') }] : []),
    ]);

  it('stops walking a zip of folders at ten times the file limit, saying why', async () => {
    const limits = profile.limits.archive;
    const zip = await folders(limits.maxEntries * 10 + 1);
    const reads = await readOne('申报材料.zip', zip, profile);
    expect(reads.flatMap((r) => r.problems)).toEqual([
      expect.objectContaining({
        kind: 'too_large',
        message: expect.stringContaining(`${limits.maxEntries} 个`),
      }),
    ]);
    // Half the walk's limit in folders, beside a file, is fine.
    const fine = await makeZip([
      ...Array.from({ length: limits.maxEntries * 5 }, (_, i) => ({
        name: `d${i}/`,
        data: Buffer.alloc(0),
      })),
      { name: 'a.txt', data: Buffer.from('a') },
    ]);
    expect((await readOne('申报材料.zip', fine, profile)).flatMap((r) => r.problems)).toEqual([]);
  });

  it('looks for an Office part among the first 10,000 entries only', async () => {
    expect(
      await readZipEntry(await folders(9_999, '[Content_Types].xml'), '[Content_Types].xml'),
    ).not.toBeNull();
    expect(
      await readZipEntry(await folders(10_000, '[Content_Types].xml'), '[Content_Types].xml'),
    ).toBeNull();
  });

  it('unpacks nothing, and counts nothing, once the caller stopped waiting', async () => {
    const zip = await makeZip([{ name: 'a.txt', data: Buffer.from('a') }]);
    const budget = newBudget();
    const unpacked = await unpackZip(
      zip,
      '申报材料.zip',
      profile.limits.archive,
      budget,
      AbortSignal.abort(),
    );
    expect(unpacked.entries).toEqual([]);
    expect(budget).toEqual(newBudget());
  });

  it('does not count an entry whose reading the abort came during', async () => {
    const zip = await makeZip([{ name: 'a.txt', data: Buffer.alloc(4096, 0x61) }]);
    const budget = newBudget();
    const stop = new AbortController();
    // Aborted at the first await after the first entry was found: while it is being read.
    const signal = Object.assign(Object.create(stop.signal), {
      throwIfAborted: () => {
        stop.signal.throwIfAborted();
        queueMicrotask(() => stop.abort());
      },
    }) as AbortSignal;
    const unpacked = await unpackZip(zip, '申报材料.zip', profile.limits.archive, budget, signal);
    expect(stop.signal.aborted).toBe(true);
    expect(unpacked.entries).toEqual([]);
    // Counted as walked before the abort; its bytes, read after it, are not.
    expect(budget).toEqual({ ...newBudget(), entries: 1 });
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

  it('a form label, or a checked choice, followed by a long run of spaces', () => {
    const word = buildWordContent([
      { paragraph: `联系人${' '.repeat(300_000)}x` },
      { table: [[makeCell('单位类型'), makeCell(`☑${spaced(300_000)}`)]] },
    ]);
    const started = Date.now();
    const { fields } = readFormFields(word, profile);
    expect(Date.now() - started).toBeLessThan(HANG);
    expect(fields.contactName).toBeUndefined();
    expect(fields.applicantType).toBe('甲'); // a choice's label ends at a run of spaces
  });

  it('a sender address whose domain is a long run of dots', async () => {
    const mail = await parseMail(
      Buffer.from(`From: a@${'.'.repeat(300_000)}x\r\nSubject: 某某银行+平台\r\n\r\n.\r\n`),
    );
    const started = Date.now();
    const kind = classify(mail, { ownAddresses: ['intake@example.org'], separators: ['+'] });
    expect(Date.now() - started).toBeLessThan(HANG);
    expect(kind).toBe('submission');
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

/** `mb` MB of spaces, zlib-compressed a megabyte at a time (a 1 GB stream is ~1 MB). */
async function inflatesTo(mb: number): Promise<Buffer> {
  const z = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  z.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise((resolve) => z.on('end', resolve));
  for (const chunk of repeated(Buffer.from(' '), mb * MIB)) {
    if (!z.write(chunk)) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await ended;
  return Buffer.concat(parts);
}

/**
 * A one-page PDF whose content stream is `stream`, or whose one picture's stream is (the picture
 * `width` × `height`, grey or RGB).
 */
function pdfWith(
  stream: Buffer,
  asPicture: false | { width: number; height: number; rgb?: boolean },
): Buffer {
  const draw = Buffer.from('q 100 0 0 100 0 0 cm /Im1 Do Q');
  const objects = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R${asPicture ? ' /Resources << /XObject << /Im1 5 0 R >> >>' : ''} >>`,
    ),
    asPicture
      ? Buffer.concat([
          Buffer.from(`<< /Length ${draw.length} >>\nstream\n`),
          draw,
          Buffer.from('\nendstream'),
        ])
      : Buffer.concat([
          Buffer.from(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`),
          stream,
          Buffer.from('\nendstream'),
        ]),
    ...(asPicture
      ? [
          Buffer.concat([
            Buffer.from(
              `<< /Type /XObject /Subtype /Image /Width ${asPicture.width} /Height ${asPicture.height} /ColorSpace /Device${asPicture.rgb ? 'RGB' : 'Gray'} /BitsPerComponent 8 /Filter /FlateDecode /Length ${stream.length} >>\nstream\n`,
            ),
            stream,
            Buffer.from('\nendstream'),
          ]),
        ]
      : []),
  ];
  const parts = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let at = parts[0]?.length ?? 0;
  objects.forEach((body, i) => {
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    offsets.push(at);
    parts.push(obj);
    at += obj.length;
  });
  const xref = offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  parts.push(
    Buffer.from(
      `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`,
    ),
  );
  return Buffer.concat(parts);
}

describe('a PDF stream that inflates past the memory cap', () => {
  it('is refused as too large, not decoded (a 1 MB file took 1.8 GB)', async () => {
    const pdf = pdfWith(await inflatesTo(512), false);
    expect(pdf.length).toBeLessThan(MIB);
    await expect(readPdf(pdf, profile.limits.pdf)).rejects.toSatisfy(
      (e) =>
        tooLarge(e) &&
        (e as DocumentError).problem.message.includes(`${profile.limits.pdf.maxMemoryMb} MB`),
    );
  });

  it('as a picture within the pixel limit but too big to decode, leaves the text read and no render', async () => {
    // 9,000 × 10,000 RGB is 270 MB decoded, over the 256 MB cap; the PDF's text is whole.
    const pdf = pdfWith(await inflatesTo(270), { width: 9_000, height: 10_000, rgb: true });
    const read = await readPdf(pdf, profile.limits.pdf, {
      renderPages: true,
      maxImagePixels: profile.limits.image.maxPixels,
    });
    expect(read.content.pages).toBe(1);
    // A render without the picture would show no seal where one may be: none is looked for.
    expect(read.pageImages).toEqual([]);
  });

  it('as a small picture, is read only as far as its pixels need', async () => {
    const pdf = pdfWith(await inflatesTo(512), { width: 10, height: 10 });
    const read = await readPdf(pdf, profile.limits.pdf, { renderPages: true });
    expect(read.content.pages).toBe(1);
    expect(read.pageImages).toHaveLength(1);
  });
});
