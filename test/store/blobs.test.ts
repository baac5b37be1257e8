import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BlobStore, createBlobStore } from '../../src/store/blobs.js';
import { directIoFits } from '../../src/store/direct-io.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Bytes of `file` in the page cache (util-linux's fincore). */
const cachedBytes = (file: string) =>
  Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file]).toString());

describe.each([
  { directIo: true, way: 'around the page cache' },
  { directIo: false, way: 'through the page cache' },
])('store/blobs ($way)', ({ directIo }) => {
  let dir: string;
  let blobs: BlobStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'intake-blobs-'));
    blobs = createBlobStore(path.join(dir, 'blobs'), { directIo });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a buffer under its sha256 with a two-level fan-out', async () => {
    const data = Buffer.from('Subject: 某某银行+案例\r\n\r\n正文\r\n');
    const put = await blobs.put(data, data.length);
    expect(put).toEqual({ sha256: sha(data), size: data.length });
    expect(blobs.path(put.sha256)).toBe(
      path.join(dir, 'blobs', put.sha256.slice(0, 2), put.sha256.slice(2, 4), put.sha256),
    );
    expect(await blobs.has(put.sha256)).toBe(true);
    expect((await readFile(blobs.path(put.sha256))).equals(data)).toBe(true);
    expect(await text(blobs.stream(put.sha256))).toBe(data.toString());
  });

  it('hashes a stream while writing it', async () => {
    const parts = [Buffer.from('part one, '), Buffer.from('part two, '), Buffer.from('三')];
    const whole = Buffer.concat(parts);
    const put = await blobs.put(Readable.from(parts));
    expect(put).toEqual({ sha256: sha(whole), size: whole.length });
    expect((await readFile(blobs.path(put.sha256))).equals(whole)).toBe(true);
  });

  it('stores a long stream of small chunks byte for byte (gathered into large writes)', async () => {
    const chunks = Array.from({ length: 230 }, (_, i) => Buffer.alloc(16 * 1024, i % 251));
    const whole = Buffer.concat(chunks);
    const put = await blobs.put(Readable.from(chunks), whole.length);
    expect(put).toEqual({ sha256: sha(whole), size: whole.length });
    expect((await readFile(blobs.path(put.sha256))).equals(whole)).toBe(true);
  });

  it("frees a stream's chunks once written, and leaves a buffer put whole to its caller", async () => {
    // Read off a stream, a chunk is the store's alone (an IMAP download's ~1 MB pieces).
    const chunks = Array.from({ length: 3 }, (_, i) => Buffer.alloc(2 * 1024 * 1024, i + 1));
    const whole = Buffer.concat(chunks);
    const put = await blobs.put(Readable.from(chunks), whole.length);
    expect(chunks.map((c) => c.length)).toEqual([0, 0, 0]);
    expect((await readFile(blobs.path(put.sha256))).equals(whole)).toBe(true);

    const data = Buffer.alloc(2 * 1024 * 1024, 9);
    await blobs.put(data);
    expect(data.length).toBe(2 * 1024 * 1024);
  });

  it('putHashed stores under the given hash and writes nothing when the blob exists', async () => {
    const data = Buffer.from('案例报告.docx bytes');
    await blobs.putHashed(sha(data), data);
    expect((await readFile(blobs.path(sha(data)))).equals(data)).toBe(true);
    const before = (await stat(blobs.path(sha(data)))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await blobs.putHashed(sha(data), data);
    expect((await stat(blobs.path(sha(data)))).mtimeMs).toBe(before);
    expect(await readdir(path.join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('fails a put whose temp dir was removed, and makes it again for the next one', async () => {
    await blobs.put(Buffer.from('first'));
    await rm(path.join(dir, 'blobs', 'tmp'), { recursive: true });
    await expect(blobs.put(Buffer.from('second'))).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await blobs.put(Buffer.from('second'));
    expect((await readFile(blobs.path(again.sha256))).toString()).toBe('second');
  });

  it("reports the write's own error when the temp file cannot be made, not its clean-up's", async () => {
    await blobs.put(Buffer.from('first'));
    const tmp = path.join(dir, 'blobs', 'tmp');
    await rm(tmp, { recursive: true });
    await writeFile(tmp, ''); // a broken volume: the temp folder is a file
    await expect(blobs.putHashed(sha(Buffer.from('x')), Buffer.from('x'))).rejects.toMatchObject({
      code: 'ENOTDIR',
      syscall: 'open',
    });
  });

  it('keeps one file when the same content is put twice and leaves no temp files', async () => {
    const data = Buffer.from('same bytes');
    const a = await blobs.put(data);
    const b = await blobs.put(Readable.from([data]));
    expect(b).toEqual(a);
    expect(await readdir(path.join(dir, 'blobs', 'tmp'))).toEqual([]);

    // Two writers of one file at once (the same logo in two messages): both find it missing,
    // both write it, the second rename replaces the first's file with the same bytes.
    const logo = Buffer.alloc(150 * 1024, 'logo');
    await Promise.all([blobs.putHashed(sha(logo), logo), blobs.putHashed(sha(logo), logo)]);
    expect((await readFile(blobs.path(sha(logo)))).equals(logo)).toBe(true);
    expect(await readdir(path.dirname(blobs.path(sha(logo))))).toEqual([sha(logo)]);
    expect(await readdir(path.join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('rejects a truncated write with BlobSizeMismatch and keeps nothing', async () => {
    const data = Buffer.from('only part of the message');
    await expect(blobs.put(Readable.from([data]), data.length + 100)).rejects.toMatchObject({
      code: 'BlobSizeMismatch',
    });
    expect(await blobs.has(sha(data))).toBe(false);
    expect(await readdir(path.join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('removes the temp file when the source stream fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
      },
    });
    await expect(blobs.put(failing)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await readdir(path.join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('reads a blob back as a source, as often as asked, in pieces', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 5, 'ab');
    const { sha256 } = await blobs.put(data);
    const source = await blobs.source(sha256);
    expect(source.size).toBe(data.length);
    for (let pass = 0; pass < 2; pass++) {
      const pieces: Buffer[] = [];
      for await (const piece of source.open()) pieces.push(piece as Buffer);
      expect(pieces.length).toBeGreaterThan(1);
      expect(Buffer.concat(pieces).equals(data)).toBe(true);
    }
  });

  it('reads a source in 64 KB pieces and closes its file when a reader stops early or it is gone', async () => {
    const data = Buffer.alloc(200 * 1024, 'cd');
    const { sha256 } = await blobs.put(data);
    const source = await blobs.source(sha256);
    const sizes: number[] = [];
    for await (const piece of source.open()) sizes.push((piece as Buffer).length);
    expect(sizes).toEqual([65536, 65536, 65536, 200 * 1024 - 3 * 65536]);

    const openFiles = async () => (await readdir('/proc/self/fd')).length;
    const before = await openFiles();
    for (let i = 0; i < 20; i++) {
      for await (const _ of source.open()) break;
    }
    expect(await openFiles()).toBe(before);

    await rm(blobs.path(sha256));
    const pieces = source.open();
    await expect(pieces.toArray()).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it(`writes and reads a blob ${directIo ? 'leaving nothing in' : 'through'} the page cache`, async () => {
    // The test folder is on a disk's filesystem that does direct I/O (ext4 here); on tmpfs the
    // page cache is the file itself.
    const data = Buffer.alloc(2 * 1024 * 1024 + 12_345, 'ef');
    const parts = [data.subarray(0, 1_000_000), data.subarray(1_000_000)].map((b) =>
      Buffer.from(b),
    );
    const { sha256, size } = await blobs.put(Readable.from(parts), data.length);
    const file = blobs.path(sha256);
    expect([size, (await stat(file)).size]).toEqual([data.length, data.length]);
    const afterWrite = cachedBytes(file);
    const pieces: Buffer[] = [];
    for await (const piece of (await blobs.source(sha256)).open()) pieces.push(piece as Buffer);
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    expect(Math.max(...pieces.map((p) => p.length))).toBe(64 * 1024);
    const afterRead = cachedBytes(file);
    if (directIo) expect([afterWrite, afterRead]).toEqual([0, 0]);
    else expect(Math.min(afterWrite, afterRead)).toBeGreaterThan(0);
    // An ordinary reader (the dashboard's download) reads the same bytes, and caches them.
    expect((await readFile(file)).equals(data)).toBe(true);
    expect(cachedBytes(file)).toBeGreaterThan(0);
  });

  it('stores every size byte for byte: empty, around a block, around a stage, in any chunks', async () => {
    const MiB = 1024 * 1024;
    for (const length of [0, 1, 4095, 4096, 4097, MiB - 1, MiB, MiB + 1, 3 * MiB + 7]) {
      const data = Buffer.alloc(length, `${length}`);
      // Chunks of every kind a stream gives: a string, slices of one buffer (the first may not
      // be freed while its sibling is still to come).
      const [a, b] = [Math.floor(length / 3), Math.floor(length / 2)];
      const rest = Buffer.from(data.subarray(a));
      const chunks = [
        data.subarray(0, a).toString('latin1'),
        rest.subarray(0, b - a),
        rest.subarray(b - a),
      ];
      const put = await blobs.put(Readable.from(chunks), length);
      expect(put).toEqual({ sha256: sha(data), size: length });
      expect((await readFile(blobs.path(put.sha256))).equals(data)).toBe(true);
      const pieces: Buffer[] = [];
      for await (const piece of (await blobs.source(put.sha256)).open())
        pieces.push(piece as Buffer);
      expect(Buffer.concat(pieces).equals(data)).toBe(true);
      expect(await blobs.put(data)).toEqual(put);
    }
  });

  it('fails a read of a blob cut short on disk instead of ending early', async () => {
    const data = Buffer.alloc(1536 * 1024, 'gh');
    const { sha256 } = await blobs.put(data);
    const source = await blobs.source(sha256);
    await truncate(blobs.path(sha256), 1200 * 1024);
    await expect(source.open().toArray()).rejects.toMatchObject({
      code: 'EIO',
      message: `blob ended at ${1200 * 1024} of ${data.length} bytes`,
    });
  });

  it('reports a missing blob as BlobNotFound and refuses names that are not a sha256', async () => {
    const missing = sha(Buffer.from('never stored'));
    expect(await blobs.has(missing)).toBe(false);
    await expect(blobs.source(missing)).rejects.toMatchObject({ code: 'BlobNotFound' });
    expect(() => blobs.path('../../etc/passwd')).toThrow(
      expect.objectContaining({ code: 'BlobInvalidHash' }),
    );
    await expect(blobs.has('ABC')).rejects.toMatchObject({ code: 'BlobInvalidHash' });
  });
});

describe('store/blobs on disk', () => {
  it('makes each new folder durable: every folder it makes is fsynced in its parent', async () => {
    // Resolved: strace names an fsynced folder by its real path.
    const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'intake-blobs-fsync-')));
    try {
      const root = path.join(dir, 'blobs');
      const blobs = fileURLToPath(new URL('../../src/store/blobs.ts', import.meta.url));
      const trace = path.join(dir, 'trace');
      // The kernel's own account of the put (strace): which folders it made, which it fsynced.
      execFileSync('strace', [
        ...['-f', '-y', '-e', 'trace=mkdir,mkdirat,fsync,fdatasync', '-o', trace],
        ...[process.execPath, '--import', 'tsx', '--input-type=module', '-e'],
        `const { createBlobStore } = await import(${JSON.stringify(blobs)});
         await createBlobStore(${JSON.stringify(root)}).put(Buffer.from('one message'));`,
      ]);
      const lines = (await readFile(trace, 'utf8')).split('\n');
      const made = lines.flatMap((l) => {
        const m = /mkdir(?:at)?\((?:AT_FDCWD(?:<[^>]*>)?, )?"([^"]+)".*\)\s+= 0$/.exec(l);
        return m?.[1]?.startsWith(root) ? [m[1]] : [];
      });
      const synced = lines.flatMap((l) => {
        const m = /f(?:data)?sync\(\d+<([^>]+)>\)\s+= 0$/.exec(l);
        return m?.[1] ? [m[1]] : [];
      });
      const blobDir = (await readdir(root)).filter((d) => d !== 'tmp');
      expect(blobDir).toHaveLength(1);
      const shard = path.join(root, blobDir[0] ?? '');
      const leaf = path.join(shard, (await readdir(shard))[0] ?? '');
      // The store, its temp folder, and the blob's two levels are new.
      expect(made).toEqual(expect.arrayContaining([root, shard, leaf]));
      for (const d of made) expect(synced, `${d}'s parent`).toContain(path.dirname(d));
      expect(synced).toContain(leaf);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('store/direct-io: where blobs are read and written directly by default', () => {
  /** The filesystem's name as coreutils' stat gives it (ext4 is "ext2/ext3"). */
  const fsName = (dir: string) => execFileSync('stat', ['-f', '-c', '%T', dir]).toString().trim();

  it("on a local disk's filesystem, not on tmpfs, asking the nearest folder that exists", async () => {
    expect(fsName('/dev/shm')).toBe('tmpfs');
    expect(await directIoFits('/dev/shm/not/made/yet')).toBe(false);
    const local = ['ext2/ext3', 'xfs', 'btrfs', 'f2fs'].includes(fsName(os.tmpdir()));
    expect(await directIoFits(path.join(os.tmpdir(), 'not', 'made', 'yet'))).toBe(local);
  });
});
