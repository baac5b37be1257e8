// Unpacks zip (yauzl) and rar (node-unrar-js) attachments into file entries, under the
// profile's limits. The only importer of yauzl and node-unrar-js.
//
// Zips from Chinese Windows carry GBK names without the UTF-8 flag (DESIGN.md §6), so names are
// read raw (`decodeStrings: false`) and decoded here. Sizes in headers are never trusted:
// inflating stops the moment it passes a limit or the size the header declares.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { createExtractorFromData } from 'node-unrar-js';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { ContestProfile } from '../config/contest.js';
import { showable } from '../names.js';
import type { DocumentProblem, FileEntry } from '../types.js';

export type ArchiveLimits = ContestProfile['limits']['archive'];

/**
 * Shared across a message's attachments and their nesting levels, so that neither a nested bomb
 * nor many small archives get past the caps.
 */
export interface ArchiveBudget {
  entries: number;
  bytes: number;
  /** Set once a limit is hit: the rest of the attachment is not read, and one problem says why. */
  exhausted?: boolean;
}

export interface Unpacked {
  entries: FileEntry[];
  problems: DocumentProblem[];
}

// A highly compressible small file (a text of spaces) is harmless; the ratio only matters once
// the output is big enough to hurt.
const RATIO_FLOOR_BYTES = 1024 * 1024;
const UTF8_FLAG = 0x800;
const UNICODE_PATH_FIELD = 0x7075;

/**
 * Entries looked at, files or not. Folders and clutter do not count against `maxEntries`, but a
 * zip of a million folder entries (a few MB) took the evaluation thread half a minute to walk.
 */
const walkLimit = (limits: ArchiveLimits) => limits.maxEntries * 10;

export function newBudget(): ArchiveBudget {
  return { entries: 0, bytes: 0 };
}

class LimitError extends Error {
  constructor(readonly problem: DocumentProblem) {
    super(problem.message);
  }
}

const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

function tooMany(limits: ArchiveLimits): LimitError {
  return new LimitError({
    kind: 'too_large',
    message: `压缩包内文件合计超过 ${limits.maxEntries} 个，未予解压，请只压缩申报所需材料后重新发送`,
  });
}

function tooBig(limits: ArchiveLimits): LimitError {
  return new LimitError({
    kind: 'too_large',
    message: `压缩包解压后超过大小上限（单个文件 ${mb(limits.maxEntryBytes)}，合计 ${mb(limits.maxTotalBytes)}），未予解压，请直接发送附件`,
  });
}

function bomb(name: string): LimitError {
  return new LimitError({
    kind: 'suspicious',
    message: `压缩包“${name}”压缩比异常（疑似“压缩炸弹”），未予解压，请直接发送附件或重新压缩`,
  });
}

/** A name as it may appear in a message: no control or bidi characters, at most 80 characters. */
export function displayName(name: string): string {
  const chars = Array.from(showable(name));
  return chars.length > 80
    ? `${chars.slice(0, 40).join('')}…${chars.slice(-20).join('')}`
    : chars.join('');
}

/** Decodes a zip entry name: Info-ZIP 0x7075 field or UTF-8 flag → UTF-8; else UTF-8 if valid, else GB18030. */
export function decodeZipName(
  raw: Buffer,
  flags: number,
  extra: { id: number; data: Buffer }[],
): string {
  // As yauzl does (its issue #33): the 0x7075 field wins over the flag. Field layout (APPNOTE 4.6.9): version 1, CRC-32 of the header name, UTF-8 name. A field
  // whose CRC does not match was written for another name and is stale.
  for (const f of extra) {
    if (f.id !== UNICODE_PATH_FIELD || f.data.length <= 5 || f.data[0] !== 1) continue;
    if (f.data.readUInt32LE(1) === crc32(raw)) return f.data.subarray(5).toString('utf8');
  }
  if (flags & UTF8_FLAG) return raw.toString('utf8');
  for (const encoding of ['utf-8', 'gb18030']) {
    try {
      return new TextDecoder(encoding, { fatal: true }).decode(raw);
    } catch {
      // not this encoding; try the next
    }
  }
  // Neither: an old DOS code page. IBM866 is the WHATWG single-byte page closest to the zip
  // default cp437 (same ASCII and box drawing) and never yields U+FFFD.
  return new TextDecoder('ibm866').decode(raw);
}

/**
 * yauzl's validateFileName idea: relative, no `..`, forward slashes, no control or bidi
 * characters. Returns null for a bad name.
 */
export function sanitizeEntryPath(name: string): string | null {
  const clean = showable(name.replace(/\\/g, '/'));
  if (clean.startsWith('/') || /^[A-Za-z]:/.test(clean)) return null;
  if (clean.split('/').includes('..')) return null;
  return clean;
}

// As for mail attachments (src/mail/charset.ts): a name longer than this is cut, extension kept.
const MAX_FILENAME_CHARS = 200;

function shortName(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_FILENAME_CHARS) return name;
  const ext = path.posix.extname(name);
  const keep = ext.length <= 16 ? Array.from(ext) : [];
  return chars.slice(0, MAX_FILENAME_CHARS - keep.length).join('') + keep.join('');
}

function makeEntry(fullPath: string, content: Buffer, insideArchive: string): FileEntry {
  return {
    filename: shortName(path.posix.basename(fullPath)),
    archivePath: fullPath,
    declaredType: null,
    content,
    bytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    insideArchive,
  };
}

// ── zip ──────────────────────────────────────────────────────────────────────────────────────

const MAX_PARTS_WALKED = 10_000;

/**
 * Reads one entry of a zip (e.g. `[Content_Types].xml`) up to `maxBytes`; null when absent, or
 * not among the first 10,000 entries.
 */
export async function readZipEntry(
  zip: Buffer,
  name: string,
  maxBytes = 4 * 1024 * 1024,
): Promise<Buffer | null> {
  const zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true, decodeStrings: false });
  try {
    // Office writes its few parts first; a zip of a million entries is not walked to the end.
    for (let walked = 0; walked < MAX_PARTS_WALKED; walked++) {
      const entry = await nextEntry(zipfile);
      if (!entry) return null;
      if (entry.fileNameRaw.toString('utf8') !== name) continue;
      if (entry.isEncrypted()) return null;
      const bytes = await entryBytes(zip, zipfile, entry, maxBytes);
      if (!bytes) throw new Error('entry too large');
      return bytes;
    }
    return null;
  } finally {
    zipfile.close();
  }
}

/**
 * Why a package is too big to hand to a reader that inflates whole parts (mammoth's JSZip), or
 * null: a matching entry over `maxBytes`, the matching entries together over `maxTotalBytes`
 * (each is inflated here to be measured: many parts just under the cap would otherwise cost
 * gigabytes of inflating), or more than `maxEntries` entries. Content is measured by inflating
 * and discarding (headers can lie: one that inflates past its declared size throws).
 */
export async function oversizedEntry(
  zip: Buffer,
  match: (name: string) => boolean,
  limits: { maxBytes: number; maxTotalBytes: number; maxEntries: number },
): Promise<string | null> {
  const { maxBytes, maxTotalBytes, maxEntries } = limits;
  const zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true, decodeStrings: false });
  try {
    let count = 0;
    let total = 0;
    for (let entry = await nextEntry(zipfile); entry; entry = await nextEntry(zipfile)) {
      const name = entry.fileNameRaw.toString('utf8');
      if (++count > maxEntries) return `部件超过 ${maxEntries} 个`;
      if (!match(name) || entry.isEncrypted()) continue;
      const tooBig = `${name} 解压后超过 ${mb(maxBytes)}`;
      if (entry.uncompressedSize > maxBytes) return tooBig;
      const bytes = await entryBytes(
        zip,
        zipfile,
        entry,
        Math.min(maxBytes, maxTotalBytes - total),
      );
      if (!bytes)
        return total + maxBytes > maxTotalBytes
          ? `各部件合计解压后超过 ${mb(maxTotalBytes)}`
          : tooBig;
      total += bytes.length;
    }
    return null;
  } finally {
    zipfile.close();
  }
}

function nextEntry(zipfile: ZipFile): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zipfile.off('entry', onEntry).off('end', onEnd).off('error', onError);
    };
    const onEntry = (e: Entry) => {
      cleanup();
      resolve(e);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    zipfile.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zipfile.readEntry();
  });
}

/**
 * An entry's bytes, or null past `limit`. The entry's stored bytes are inflated in one call on
 * this thread: yauzl's stream would inflate them on libuv's threads 16 KB at a time, and each of
 * those hand-offs wakes a thread that takes the core from this one (docs/performance.md,
 * "hand-offs"). They are read where they lie in the archive, not through yauzl's stream, which
 * copies them twice.
 * Throws, as yauzl's stream would, for broken data and for a size other than the declared one.
 */
async function entryBytes(
  zip: Buffer,
  zipfile: ZipFile,
  entry: Entry,
  limit: number,
): Promise<Buffer | null> {
  // yauzl checks that the data lies inside the archive.
  const { fileDataStart } = await zipfile.readLocalFileHeaderPromise(entry, { minimal: true });
  const stored = zip.subarray(fileDataStart, fileDataStart + entry.compressedSize);
  const declared = entry.uncompressedSize;
  if (entry.compressionMethod === 0) {
    // A copy: a stored entry must not keep the whole archive.
    return stored.length > limit ? null : Buffer.copyBytesFrom(stored);
  }
  if (entry.compressionMethod !== 8)
    throw new Error(`compression method ${entry.compressionMethod}`);
  // Inflating stops a byte past the most that may come out: the size the header declares (more
  // is broken data) or the limit (a bomb). Output of the declared size fills one buffer of its
  // own, not pieces joined by a copy.
  const most = Math.min(declared, limit);
  let bytes: Buffer | null = null;
  try {
    bytes = inflateRawSync(stored, { maxOutputLength: most + 1, chunkSize: Math.max(64, most) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
  }
  if (!bytes || bytes.length > most) {
    if (declared <= limit) throw new Error(`entry inflates past the ${declared} bytes it declares`);
    return null;
  }
  if (bytes.length !== declared) throw new Error(`entry is ${bytes.length} bytes, not ${declared}`);
  return bytes;
}

export async function unpackZip(
  zip: Buffer,
  insideArchive: string,
  limits: ArchiveLimits,
  budget: ArchiveBudget,
  /** Aborted when the caller stopped waiting (a timeout): no more entries kept or charged. */
  signal?: AbortSignal,
): Promise<Unpacked> {
  const out: Unpacked = { entries: [], problems: [] };
  let zipfile: ZipFile;
  try {
    zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true, decodeStrings: false });
  } catch {
    out.problems.push({
      kind: 'unreadable',
      message: `压缩包“${insideArchive}”已损坏，无法打开，请重新压缩后发送`,
    });
    return out;
  }
  let encrypted = 0;
  let unsupported = 0;
  let walked = 0;
  try {
    for (let entry = await nextEntry(zipfile); entry; entry = await nextEntry(zipfile)) {
      signal?.throwIfAborted();
      if (++walked > walkLimit(limits)) throw tooMany(limits);
      const name = decodeZipName(entry.fileNameRaw, entry.generalPurposeBitFlag, entry.extraFields);
      if (name.endsWith('/') || name.endsWith('\\') || isClutter(name)) continue;
      if (++budget.entries > limits.maxEntries) throw tooMany(limits);
      const safe = sanitizeEntryPath(name);
      if (!safe) {
        out.problems.push(unsafePath(insideArchive, name));
        continue;
      }
      if (entry.isEncrypted()) {
        encrypted++;
        continue;
      }
      // 7-Zip and WinRAR can write LZMA, bzip2 or Deflate64 entries into a .zip: only those are
      // unread, not the rest of the archive.
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        unsupported++;
        continue;
      }
      const room = Math.min(limits.maxEntryBytes, limits.maxTotalBytes - budget.bytes);
      const bombAt = Math.max(RATIO_FLOOR_BYTES, entry.compressedSize * limits.maxRatio);
      const content = await entryBytes(zip, zipfile, entry, Math.min(room, bombAt));
      // The abort may have come while the entry was read: it is not counted either.
      signal?.throwIfAborted();
      if (!content) throw bombAt < room ? bomb(insideArchive) : tooBig(limits);
      budget.bytes += content.length;
      out.entries.push(makeEntry(safe, content, insideArchive));
    }
  } catch (err) {
    // Past a limit the archive is not unpacked at all ("未予解压"): half of it would mislead.
    if (err instanceof LimitError) return exhaust(budget, err);
    out.problems.push(zipBroken(insideArchive));
  } finally {
    zipfile.close();
  }
  if (encrypted > 0) out.problems.push(encryptedProblem(insideArchive, encrypted));
  if (unsupported > 0) {
    out.problems.push({
      kind: 'unsupported',
      message: `压缩包“${insideArchive}”中有 ${unsupported} 个文件使用了不支持的压缩方式（如 LZMA、bzip2），无法读取，请用普通 zip 压缩（Deflate）重新压缩后发送`,
    });
  }
  return out;
}

/**
 * What an archiver or a file manager adds beside the files: macOS's resource forks (`._` and the
 * file's name, under `__MACOSX/` in Finder's zips) and folder views (`.DS_Store`, Windows'
 * `Thumbs.db` and `desktop.ini`). Nobody sent them, so they are not read: a fork named
 * `._申报表.docx` would otherwise be reported to the applicant as a damaged Word file.
 */
function isClutter(name: string): boolean {
  const parts = name.split(/[\\/]/);
  const base = (parts.at(-1) ?? '').toLowerCase();
  return (
    parts.includes('__MACOSX') ||
    base.startsWith('._') ||
    base === '.ds_store' ||
    base === 'thumbs.db' ||
    base === 'desktop.ini'
  );
}

function exhaust(budget: ArchiveBudget, err: LimitError): Unpacked {
  budget.exhausted = true;
  return { entries: [], problems: [err.problem] };
}

function zipBroken(name: string): DocumentProblem {
  return {
    kind: 'unreadable',
    message: `压缩包“${name}”部分内容已损坏，无法完整解压，请重新压缩后发送`,
  };
}

/** An entry named `../x` or `/etc/x`: skipped, and said, so "not found" is no certainty. */
function unsafePath(archive: string, entry: string): DocumentProblem {
  return {
    kind: 'suspicious',
    message: `压缩包“${archive}”中的文件路径不安全（${displayName(entry)}），已跳过该文件`,
  };
}

function encryptedProblem(name: string, count: number): DocumentProblem {
  return {
    kind: 'encrypted',
    message: `压缩包“${name}”中有 ${count} 个文件设置了密码，无法打开，请去掉密码后重新发送`,
  };
}

// ── rar ──────────────────────────────────────────────────────────────────────────────────────

// node-unrar-js extracts into memory and cannot stream, so the (untrusted) header sizes are
// checked before extracting and the real length after.
export async function unpackRar(
  rar: Buffer,
  insideArchive: string,
  limits: ArchiveLimits,
  budget: ArchiveBudget,
  /** As unpackZip's. */
  signal?: AbortSignal,
): Promise<Unpacked> {
  const out: Unpacked = { entries: [], problems: [] };
  try {
    const data = rar.buffer.slice(rar.byteOffset, rar.byteOffset + rar.byteLength) as ArrayBuffer;
    const list = (await createExtractorFromData({ data })).getFileList();
    if (list.arcHeader.flags.headerEncrypted) {
      out.problems.push(encryptedProblem(insideArchive, 1));
      return out;
    }
    let planned = budget.bytes;
    let encrypted = 0;
    /** Entry name → the path it is filed under. */
    const wanted = new Map<string, string>();
    let walked = 0;
    for (const h of list.fileHeaders) {
      if (++walked > walkLimit(limits)) throw tooMany(limits);
      if (h.flags.directory || isClutter(h.name)) continue;
      if (++budget.entries > limits.maxEntries) throw tooMany(limits);
      const safe = sanitizeEntryPath(h.name);
      if (!safe) {
        out.problems.push(unsafePath(insideArchive, h.name));
        continue;
      }
      if (h.flags.encrypted) {
        encrypted++;
        continue;
      }
      planned += h.unpSize;
      if (h.unpSize > limits.maxEntryBytes || planned > limits.maxTotalBytes) throw tooBig(limits);
      if (h.unpSize > RATIO_FLOOR_BYTES && h.unpSize / Math.max(h.packSize, 1) > limits.maxRatio)
        throw bomb(insideArchive);
      wanted.set(h.name, safe);
    }
    if (encrypted > 0) out.problems.push(encryptedProblem(insideArchive, encrypted));
    const unread = (count: number) =>
      out.problems.push({
        kind: 'unreadable',
        message: `RAR 压缩包“${insideArchive}”中有 ${count} 个文件未能解压，请改用 zip 压缩或直接发送附件`,
      });
    for await (const { name, bytes } of extractFiles(data, [...wanted.keys()], unread)) {
      signal?.throwIfAborted();
      const safe = wanted.get(name);
      if (safe === undefined) continue;
      if (
        bytes.length > limits.maxEntryBytes ||
        budget.bytes + bytes.length > limits.maxTotalBytes
      ) {
        throw tooBig(limits);
      }
      budget.bytes += bytes.length;
      // A view, not a copy: the extractor holds every file it extracted until the pass ends.
      const content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      out.entries.push(makeEntry(safe, content, insideArchive));
    }
  } catch (err) {
    if (err instanceof LimitError) return exhaust(budget, err);
    out.problems.push({
      kind: 'unreadable',
      message: `RAR 压缩包“${insideArchive}”无法解压（可能已损坏或设置了密码），请改用 zip 压缩或直接发送附件`,
    });
  }
  return out;
}

/** Passes over one archive at most: each link entry in it costs one (extractFiles). */
const RAR_PASSES = 8;

/**
 * The files named in `names` (in the archive's order), extracted in one pass: a solid archive
 * is one compressed stream, and extracting file by file would decompress every file before each
 * one again (200 files of 1 MB: ~20 GB, on the evaluation thread, where no timeout stops it).
 * node-unrar-js's generator dies with a TypeError on a link entry (it never creates an output
 * file for it) and leaves its archive handle open; the next pass goes on after the link,
 * without it. Links carry no content we need. When RAR_PASSES run out, the files not reached
 * are counted to `unread`. A real unrar error propagates.
 */
async function* extractFiles(
  data: ArrayBuffer,
  names: string[],
  unread: (count: number) => void,
): AsyncGenerator<{ name: string; bytes: Uint8Array }> {
  let rest = names;
  for (let pass = 0; rest.length > 0; pass++) {
    if (pass === RAR_PASSES) return unread(rest.length);
    const done = new Set<string>();
    const extractor = await createExtractorFromData({ data });
    try {
      for (const file of extractor.extract({ files: rest }).files) {
        done.add(file.fileHeader.name);
        if (file.extraction) yield { name: file.fileHeader.name, bytes: file.extraction };
      }
      return;
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      const link = rest.find((name) => !done.has(name));
      rest = rest.filter((name) => !done.has(name) && name !== link);
    }
  }
}
