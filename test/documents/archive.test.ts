import { readFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeZip } from '../../scripts/hostile/zip.js';
import {
  decodeZipName,
  newBudget,
  readZipEntry,
  sanitizeEntryPath,
  unpackRar,
  unpackZip,
} from '../../src/documents/archive.js';
import { corpusDir, corpusFound } from '../support/corpus.js';
import { fixture, profile } from './helpers.js';

const limits = profile.limits.archive;
const unzip = (name: string, l = limits) => unpackZip(fixture(name), name, l, newBudget());

describe('unpackZip', () => {
  it('decodes GBK names written without the UTF-8 flag and skips a path-traversal entry', async () => {
    const { entries, problems } = await unzip('gbk-names.zip');
    expect(entries.map((e) => [e.filename, e.archivePath, e.insideArchive])).toEqual([
      ['申报表说明.txt', '材料/申报表说明.txt', 'gbk-names.zip'],
      ['商标.txt', '商标.txt', 'gbk-names.zip'],
    ]);
    expect(entries[0]?.content.toString()).toBe('申报材料说明\n');
    expect(problems).toEqual([
      { kind: 'suspicious', message: expect.stringContaining('../evil.txt') },
    ]);
  });

  it('reads the rest of an archive when one entry uses a compression method it cannot inflate', async () => {
    const zip = await makeZip([
      { name: '申报表.docx', data: fixture('form.docx'), store: true, method: 14 }, // LZMA
      { name: '说明.txt', data: Buffer.from('申报材料说明\n'), store: true },
    ]);
    const { entries, problems } = await unpackZip(zip, 'a.zip', limits, newBudget());
    expect(entries.map((e) => e.filename)).toEqual(['说明.txt']);
    expect(problems).toEqual([
      { kind: 'unsupported', message: expect.stringContaining('1 个文件使用了不支持的压缩方式') },
    ]);
  });

  it("leaves out what macOS's Finder adds beside the files (__MACOSX/ forks, .DS_Store)", async () => {
    const { entries, problems } = await unzip('macos.zip');
    expect(entries.map((e) => e.archivePath)).toEqual(['申报表.docx']);
    expect(problems).toEqual([]);
  });

  it('stops a 100 MB zip bomb by its ratio, unpacking nothing', async () => {
    const { entries, problems } = await unzip('bomb.zip');
    expect(entries).toEqual([]);
    expect(problems).toEqual([
      { kind: 'suspicious', message: expect.stringContaining('压缩炸弹') },
    ]);
  });

  it('stops at the byte cap, counted while inflating', async () => {
    const small = { ...limits, maxEntryBytes: 1024 * 1024, maxRatio: 1_000_000 };
    const { entries, problems } = await unzip('bomb.zip', small);
    expect(entries).toEqual([]);
    expect(problems[0]).toMatchObject({ kind: 'too_large' });
  });

  it('refuses more entries than the cap', async () => {
    const { entries, problems } = await unzip('many.zip');
    expect(entries).toEqual([]);
    expect(problems[0]).toMatchObject({
      kind: 'too_large',
      message: expect.stringContaining('200'),
    });
  });

  it('reports password-protected entries', async () => {
    const { entries, problems } = await unzip('encrypted-entry.zip');
    expect(entries).toEqual([]);
    expect(problems).toEqual([{ kind: 'encrypted', message: expect.stringContaining('密码') }]);
  });

  it('calls a file that is no zip unreadable', async () => {
    const { problems } = await unpackZip(
      Buffer.from('PK\x03\x04broken'),
      'x.zip',
      limits,
      newBudget(),
    );
    expect(problems[0]).toMatchObject({ kind: 'unreadable' });
  });

  it('calls an archive unreadable when an entry’s deflated data is damaged', async () => {
    const zip = Buffer.from(fixture('gbk-names.zip'));
    // The first local header: 30 bytes, then its name and extra field, then the data.
    const dataStart = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
    zip.fill(0xff, dataStart, dataStart + 4); // a deflate block of the reserved type
    const { entries, problems } = await unpackZip(zip, 'x.zip', limits, newBudget());
    expect(entries).toEqual([]);
    expect(problems).toEqual([
      { kind: 'unreadable', message: expect.stringContaining('部分内容已损坏') },
    ]);
  });
});

describe('unpacked entries', () => {
  const ownsItsMemory = (b: Buffer) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;

  it('inflates a deflated entry into one buffer of its own (handed on without a copy)', async () => {
    const { entries, problems } = await unzip('submission.zip');
    expect(problems).toEqual([]);
    // Past Node's pool (which small buffers share): the logo, 58 KB.
    const logo = entries.find((e) => e.bytes > 8192);
    expect(logo?.filename).toBe('商标.jpg');
    expect(ownsItsMemory(logo?.content ?? Buffer.alloc(0))).toBe(true);
  });

  it('copies a stored entry out of the archive, which it must not keep alive', async () => {
    const zip = fixture('nested-bomb.zip');
    const { entries } = await unpackZip(zip, 'nested-bomb.zip', limits, newBudget());
    expect(entries.length).toBe(1);
    const inner = entries[0]?.content ?? Buffer.alloc(0);
    expect(inner.buffer).not.toBe(zip.buffer);
    expect(ownsItsMemory(inner)).toBe(true);
    expect(zip.includes(inner)).toBe(true);
  });
});

describe('zip names and entries', () => {
  it('prefers a matching 0x7075 Unicode path field, then the flag, then UTF-8, then GB18030', () => {
    const gbk = Buffer.from([0xc9, 0xea, 0xb1, 0xa8, 0xb1, 0xed]); // 申报表
    expect(decodeZipName(gbk, 0, [])).toBe('申报表');
    expect(decodeZipName(Buffer.from('申报表', 'utf8'), 0, [])).toBe('申报表');
    expect(decodeZipName(Buffer.from('申报表', 'utf8'), 0x800, [])).toBe('申报表');
  });

  it('rejects absolute and parent paths', () => {
    expect(sanitizeEntryPath('/etc/passwd')).toBeNull();
    expect(sanitizeEntryPath('C:\\x.txt')).toBeNull();
    expect(sanitizeEntryPath('a/../../b')).toBeNull();
    expect(sanitizeEntryPath('材料\\申报表.docx')).toBe('材料/申报表.docx');
  });

  it('reads one entry of a zip buffer', async () => {
    const types = await readZipEntry(fixture('form.docx'), '[Content_Types].xml');
    expect(types?.toString()).toContain('wordprocessingml');
    expect(await readZipEntry(fixture('form.docx'), 'missing.xml')).toBeNull();
  });
});

describe.skipIf(!corpusFound)('corpus archives', () => {
  const names = async (file: string) => {
    const buf = readFileSync(`${corpusDir}/archives/${file}`);
    return (await unpackZip(buf, file, limits, newBudget())).entries.map((e) => e.archivePath);
  };

  it('decodes the GBK-named adm-zip archive to Chinese', async () => {
    expect(await names('adm-zip-chs_name.zip')).toEqual(['中文路径.txt']);
  });

  it('honours the Info-ZIP Unicode path field', async () => {
    expect(await names('unicode-path-extra-field.zip')).toEqual(['七个房间.txt']);
  });
});

describe.skipIf(!corpusFound)('unpackRar', () => {
  /**
   * libarchive's RAR 4 test archive with its last entry renamed `../../…` (same length, the
   * header's CRC made again): what an attacker's archive would hold.
   */
  function withTraversal(): Buffer {
    const rar = Buffer.from(
      readFileSync(path.join(corpusDir, 'archives/test_read_format_rar_unicode.rar')),
    );
    const header = 580; // the file header of `abcdefghijklmnopqrsテスト.txt` (32 bytes of name)
    const size = rar.readUInt16LE(header + 5);
    const nameLength = rar.readUInt16LE(header + 26);
    const name = Buffer.from('../../../../etc/evil-archive.txt'.padEnd(nameLength, 'x'));
    name.copy(rar, header + 32);
    rar.writeUInt16LE(zlib.crc32(rar.subarray(header + 2, header + size)) & 0xffff, header);
    return rar;
  }

  it('reads the files of a RAR 5 archive and passes over its hard and symbolic links', async () => {
    // libarchive's RAR 5 test archive: one file, then a hard link and a symbolic link to it, on
    // each of which node-unrar-js's extraction dies.
    const rar = readFileSync(path.join(corpusDir, 'archives/test_read_format_rar5_unicode.rar'));
    const got = await unpackRar(rar, 'b.rar', limits, newBudget());
    expect(got.problems).toEqual([]);
    expect(got.entries.map((e) => [e.archivePath, e.content.toString()])).toEqual([
      ['👋🌎.txt', expect.stringMatching(/\S/)],
    ]);
  });

  it('reads the real archive, and skips a path-traversal entry saying so', async () => {
    const plain = readFileSync(path.join(corpusDir, 'archives/test_read_format_rar_unicode.rar'));
    const before = await unpackRar(plain, 'a.rar', limits, newBudget());
    expect(before.problems).toEqual([]);
    const after = await unpackRar(withTraversal(), 'a.rar', limits, newBudget());
    expect(after.entries).toHaveLength(before.entries.length - 1);
    expect(after.problems).toEqual([
      { kind: 'suspicious', message: expect.stringContaining('../../../../etc/evil') },
    ]);
  });
});
