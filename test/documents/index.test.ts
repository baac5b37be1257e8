import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { imagePdf } from '../../scripts/hostile/pdf.js';
import { closeDocumentsWorker, readDocuments, readOne } from '../../src/documents/index.js';
import type { DocumentRead, FileEntry } from '../../src/types.js';
import { fixture, profile } from './helpers.js';

afterAll(closeDocumentsWorker);

const kinds = (reads: { problems: { kind: string }[] }[]) =>
  reads.flatMap((r) => r.problems.map((p) => p.kind));

describe('readDocuments', () => {
  it('reads every attachment with its hash and flattens an archive after itself', async () => {
    const reads = await readDocuments(
      [
        { filename: '商标.jpg', contentType: 'image/jpeg', content: fixture('logo.jpg') },
        {
          filename: '材料.zip',
          contentType: 'application/zip',
          content: fixture('submission.zip'),
        },
      ],
      profile,
    );
    expect(reads.map((r) => [r.entry.filename, r.detectedType, r.entry.insideArchive])).toEqual([
      ['商标.jpg', 'jpeg', null],
      ['材料.zip', 'zip', null],
      ['申报表.docx', 'docx', '材料.zip'],
      ['商标.jpg', 'jpeg', '材料.zip'],
    ]);
    expect(reads[0]?.entry).toMatchObject({
      bytes: fixture('logo.jpg').length,
      declaredType: 'image/jpeg',
    });
    expect(reads[0]?.entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(reads[0]?.entry.sha256).toBe(reads[3]?.entry.sha256);
    expect(reads[2]?.word?.tables[0]?.[0]?.[1]?.text).toBe('基于大模型的智能风控平台');
    expect(kinds(reads)).toEqual([]);
  });

  it.each([
    ['盖章扫描件.pdf', 'scan-seal.pdf', 'application/pdf', (r?: DocumentRead) => r?.pdf?.redSeal],
    [
      '申报表.docx',
      'form.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      (r?: DocumentRead) => r?.word?.tables[0]?.[0]?.[1]?.text === '基于大模型的智能风控平台',
    ],
  ])(
    'stores %s before reading it, and its bytes move to the reader, not a copy',
    async (filename, file, contentType, readWell) => {
      const stored: { filename: string; bytes: number; sha256: string }[] = [];
      const store = async (e: FileEntry) => {
        stored.push({
          filename: e.filename,
          bytes: e.content.length,
          sha256: createHash('sha256').update(e.content).digest('hex'),
        });
      };
      // Memory of its own, as an attachment's is (the 2.5 KB form read by itself would share
      // Node's pool: that one is copied).
      const content = Buffer.alloc(fixture(file).length, fixture(file));
      const size = content.length;
      const [read] = await readDocuments([{ filename, contentType, content }], profile, store);
      // Stored whole, under the hash the read carries, before its bytes moved away.
      expect(stored).toEqual([{ filename, bytes: size, sha256: read?.entry.sha256 }]);
      expect(readWell(read)).toBe(true);
      expect(read?.entry.bytes).toBe(size);
      expect(read?.entry.content.length).toBe(0);

      // Without a store (the pipeline keeps only the raw message) they move at once.
      const again = Buffer.alloc(size, fixture(file));
      const [moved] = await readDocuments([{ filename, contentType, content: again }], profile);
      expect(readWell(moved)).toBe(true);
      expect(moved?.entry.bytes).toBe(size);
      expect(again.length).toBe(0);
    },
  );

  it('returns once every file is stored, and fails when one cannot be', async () => {
    const files = [
      { filename: '商标.jpg', contentType: 'image/jpeg', content: fixture('logo.jpg') },
      { filename: '材料.zip', contentType: 'application/zip', content: fixture('submission.zip') },
    ];
    const done: string[] = [];
    const slow = async (e: FileEntry) => {
      await new Promise((r) => setTimeout(r, 50));
      done.push(e.filename);
    };
    const reads = await readDocuments(files, profile, slow);
    // The archive's entries too, each written while the files after it were read.
    expect(done.sort()).toEqual(reads.map((r) => r.entry.filename).sort());
    expect(done).toHaveLength(4);

    const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const failing = async (e: FileEntry) => {
      if (e.insideArchive) throw full;
    };
    await expect(readDocuments(files, profile, failing)).rejects.toBe(full);
  });

  it("holds the archive caps across all of a message's attachments, not each one's", async () => {
    // Twenty small archives of 199 MB each would otherwise pass a 200 MB cap twenty times over.
    const archive = { ...profile.limits.archive, maxEntries: 3 };
    const capped = { ...profile, limits: { ...profile.limits, archive } };
    const zip = fixture('submission.zip'); // 申报表.docx and 商标.jpg
    const reads = await readDocuments(
      ['一.zip', '二.zip'].map((filename) => ({ filename, contentType: '', content: zip })),
      capped,
    );
    expect(reads.map((r) => [r.entry.filename, r.entry.insideArchive ?? null])).toEqual([
      ['一.zip', null],
      ['申报表.docx', '一.zip'],
      ['商标.jpg', '一.zip'],
      ['二.zip', null],
    ]);
    expect(reads.at(-1)?.problems).toEqual([
      { kind: 'too_large', message: expect.stringContaining('超过 3 个') },
    ]);
  });

  it('does not parse an attachment over the size limit', async () => {
    const small = { ...profile, limits: { ...profile.limits, maxAttachmentBytes: 1000 } };
    const [read] = await readDocuments(
      [{ filename: 'a.docx', contentType: '', content: fixture('form.docx') }],
      small,
    );
    expect(read?.word).toBeUndefined();
    expect(read?.problems).toEqual([
      { kind: 'too_large', message: expect.stringContaining('a.docx') },
    ]);
  });
});

describe('readOne', () => {
  it.each([
    ['macro.docm', 'suspicious'],
    ['exe-named.jpg', 'suspicious'],
    ['archive.7z', 'unsupported'],
    ['encrypted.pdf', 'encrypted'],
    ['encrypted.doc', 'encrypted'],
    ['encrypted-entry.zip', 'encrypted'],
    ['bomb.zip', 'suspicious'],
  ])('turns %s into a %s problem', async (name, kind) => {
    const reads = await readOne(name, fixture(name), profile);
    expect(kinds(reads)).toContain(kind);
    for (const r of reads) for (const p of r.problems) expect(p.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('reads a PNG named .jpg as the PNG it is, with no problem: the logo rule judges formats', async () => {
    const reads = await readOne('商标.jpg', fixture('png-named.jpg'), profile);
    expect(reads.map((r) => r.detectedType)).toEqual(['png']);
    expect(kinds(reads)).toEqual([]);
  });

  it('still reads the form inside a macro document', async () => {
    const [read] = await readOne('申报表.docm', fixture('macro.docm'), profile);
    expect(read?.word?.text).toContain('示例银行股份有限公司');
  });

  it('reads a Word 97 file named .docx as a .doc (OLE without EncryptionInfo is no encrypted docx)', async () => {
    const [asDoc] = await readOne('申报表.docx', fixture('form.doc'), profile);
    expect(asDoc?.detectedType).toBe('doc');
    expect(asDoc?.word?.text).toContain('张三');
  });

  it('stops nested archives at the depth limit and a nested bomb at its ratio', async () => {
    const deep = await readOne('deep.zip', fixture('deep.zip'), profile);
    expect(deep.map((r) => r.entry.filename)).toEqual([
      'deep.zip',
      'level2.zip',
      'level3.zip',
      'level4.zip',
    ]);
    expect(deep.at(-1)?.entry.insideArchive).toBe('deep.zip / level2.zip / level3.zip');
    expect(deep.at(-1)?.problems[0]?.message).toContain('嵌套');
    const nested = await readOne('nested-bomb.zip', fixture('nested-bomb.zip'), profile);
    expect(nested.at(-1)?.problems[0]?.message).toContain('压缩炸弹');
  });

  it("leaves a picture over the image pixel cap out of a PDF page's render (pdf.js decodes it whole)", async () => {
    // 400 KB holding a 20000 × 20000 picture took 5 GB to render; here a red 1500 × 1500 one.
    const red = imagePdf(1500, 1500, [220, 20, 30]);
    const [whole] = await readOne('盖章扫描件.pdf', red, profile);
    expect(whole?.pdf?.redSeal).toBe(true);
    const image = { ...profile.limits.image, maxPixels: 1_000_000 };
    const capped = { ...profile, limits: { ...profile.limits, image } };
    const [left] = await readOne('盖章扫描件.pdf', red, capped);
    expect(left?.pdf).toMatchObject({ pages: 1, redSeal: false });
  });

  it('checks a scan for a red seal: PDF pages and images named as scans', async () => {
    const [seal] = await readOne('盖章扫描件.pdf', fixture('scan-seal.pdf'), profile);
    const [plain] = await readOne('盖章扫描件.pdf', fixture('scan-plain.pdf'), profile);
    expect(seal?.pdf?.redSeal).toBe(true);
    expect(plain?.pdf?.redSeal).toBe(false);
    const [img] = await readOne('申报表盖章版.jpg', fixture('seal-scan.jpg'), profile);
    expect(img?.image?.redSeal).toBe(true);
    const [logo] = await readOne('商标.jpg', fixture('seal-scan.jpg'), profile);
    expect(logo?.image?.redSeal).toBeNull();
  });

  it('flags a truncated JPEG logo and an empty file', async () => {
    const [logo] = await readOne('商标.jpg', fixture('truncated.jpg'), profile);
    expect(logo?.problems).toEqual([
      { kind: 'unreadable', message: expect.stringContaining('不完整') },
    ]);
    const [empty] = await readOne('申报表.docx', Buffer.alloc(0), profile);
    expect(empty?.problems[0]?.message).toContain('空文件');
  });

  it('turns a corrupt document into an unreadable problem, never an exception', async () => {
    const broken = Buffer.concat([fixture('form.docx').subarray(0, 1200), Buffer.alloc(100)]);
    const [read] = await readOne('申报表.docx', broken, profile);
    expect(read?.problems.map((p) => p.kind)).toContain('unreadable');
  });
});
