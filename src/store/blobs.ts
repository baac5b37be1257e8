// Content-addressed files (raw .eml, attachments) under DATA_DIR/blobs: `ab/cd/<sha256>`.
// A blob appears under its name only complete and fsynced (temp file + rename), so a crash
// never leaves a half-written file that a later `has()` would trust.
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { access, type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ownsMemory, release } from '../buffers.js';
import type { ByteSource } from '../types.js';
import {
  directIoFits,
  directPieces,
  directWriter,
  openDirectForReading,
  openDirectForWriting,
} from './direct-io.js';

export interface BlobStore {
  /** A stream's chunks are the store's once read: freed as soon as written (buffers.ts). */
  put(data: Buffer | Readable, expectedSize?: number): Promise<{ sha256: string; size: number }>;
  /**
   * Stores bytes whose sha256 the caller has just computed from this very buffer (a document
   * read in this process): no second pass over megabytes to hash them, no write when present.
   */
  putHashed(sha256: string, data: Buffer): Promise<void>;
  stream(sha256: string): Readable;
  /**
   * The blob as a source read in pieces (BlobNotFound now, not on the first read). The pieces
   * are read on the calling thread, synchronously: for a thread that parses as it reads.
   */
  source(sha256: string): Promise<ByteSource>;
  has(sha256: string): Promise<boolean>;
  path(sha256: string): string;
}

export class BlobError extends Error {
  constructor(
    readonly code: 'BlobSizeMismatch' | 'BlobInvalidHash' | 'BlobNotFound',
    message: string,
  ) {
    super(message);
    this.name = 'BlobError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * By default blobs are written and read around the page cache where the folder is on a local
 * disk (direct-io.ts); `directIo: false` keeps them in it, `true` tries direct I/O anywhere.
 */
export function createBlobStore(dir: string, opts: { directIo?: boolean } = {}): BlobStore {
  const root = path.resolve(dir);
  let directChecked: Promise<boolean> | undefined;
  const directIo = () => (directChecked ??= Promise.resolve(opts.directIo ?? directIoFits(root)));
  // Temp files live inside the store so the final rename stays on one filesystem (atomic).
  const tmpDir = path.join(root, 'tmp');

  function blobPath(sha256: string): string {
    // The hash becomes a path: refuse anything else so a caller cannot escape the folder.
    if (!SHA256_HEX.test(sha256)) throw new BlobError('BlobInvalidHash', `not a sha256: ${sha256}`);
    return path.join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async function has(sha256: string): Promise<boolean> {
    try {
      await access(blobPath(sha256));
      return true;
    } catch (err) {
      if (err instanceof BlobError) throw err;
      return false;
    }
  }

  // The temp dir is made once per store, not once per blob; if it disappears (removed by hand),
  // the put fails with ENOENT, and the next put (the caller's retry) makes it again.
  let tmpDirMade: Promise<unknown> | null = null;

  /** Writes `data` to a temp file, then moves it under the name `check` returns. */
  async function commit(data: Buffer | Readable, check: (written: Written) => string) {
    // Durably: the store's own folder may be new with it.
    tmpDirMade ??= makeDir(tmpDir, root);
    await tmpDirMade.catch((err) => {
      tmpDirMade = null;
      throw err;
    });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      const written = await writeFile(
        tmp,
        data,
        Buffer.isBuffer(data) ? null : createHash('sha256'),
        await directIo(),
      );
      const sha256 = check(written);
      await place(tmp, blobPath(sha256), root);
      return { sha256, size: written.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') tmpDirMade = null;
      // The write's own error is the one to report, not a failed clean-up after it.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  function put(data: Buffer | Readable, expectedSize?: number) {
    return commit(data, ({ size, sha256 }) => {
      if (expectedSize !== undefined && size !== expectedSize) {
        // imapflow's download() can end early without an error (DESIGN.md §6).
        throw new BlobError(
          'BlobSizeMismatch',
          `blob is ${size} bytes, expected ${expectedSize} (truncated download?)`,
        );
      }
      return (
        sha256 ??
        createHash('sha256')
          .update(data as Buffer)
          .digest('hex')
      );
    });
  }

  async function putHashed(sha256: string, data: Buffer) {
    if (await has(sha256)) return;
    await commit(data, () => sha256);
  }

  /** A missing blob surfaces as the stream's `error` (ENOENT); check `has()` first if needed. */
  function stream(sha256: string): Readable {
    return createReadStream(blobPath(sha256));
  }

  async function source(sha256: string): Promise<ByteSource> {
    const file = blobPath(sha256);
    // Synchronous, as its reads are (readInPieces). An evaluation thread asks for it, and an
    // asynchronous stat waited in libuv's queue behind libvips's work for other messages
    // (sharp's), the thread meanwhile idle (docs/performance.md, "waiting on others").
    let size: number;
    try {
      size = statSync(file).size;
    } catch (err) {
      throw notFound(err, sha256);
    }
    const direct = await directIo();
    return { size, open: () => readInPieces(file, size, direct) };
  }

  return { put, putHashed, stream, source, has, path: blobPath };
}

interface Written {
  size: number;
  /** Of a stream, hashed as it was written; null for a buffer (hashed in one pass if needed). */
  sha256: string | null;
}

/** Through the page cache, a stream's chunks are written together up to this (gatheredWriter). */
const WRITE_BYTES = 1 << 20;
/**
 * A source's reads: 64 KB, the pieces mailparser is fed. A 1 MB read lived on while its slices
 * were parsed, long enough to be moved out of V8's young generation, and then waited, dead, for
 * a full collection: the 30 MB case's whole 41 MB raw message did, during its parse
 * (docs/performance.md, "the raw message").
 */
const READ_BYTES = 64 * 1024;

/**
 * A file as a stream of READ_BYTES pieces, read with synchronous calls. A source is read by a
 * thread that parses it piece by piece (an evaluation thread); each of createReadStream's reads
 * is a round trip to libuv's threads (hand the read over, wake one, wake this thread back),
 * which cost more than the read itself: ~9 against ~3.5 CPU ms for a 5 MB message
 * (docs/performance.md, "reads and zip entries"). Read directly where it can be (direct-io.ts),
 * else from the page cache.
 */
function readInPieces(file: string, size: number, directIo: boolean): Readable {
  let fd: number | undefined;
  let direct: ReturnType<typeof directPieces> | undefined;
  let position = 0;
  const next = (fd: number): Buffer | null => {
    if (direct) return direct.next();
    const piece = Buffer.allocUnsafeSlow(READ_BYTES);
    const n = readSync(fd, piece, 0, READ_BYTES, null);
    return n === 0 ? null : piece.subarray(0, n);
  };
  return new Readable({
    highWaterMark: READ_BYTES,
    read() {
      try {
        if (fd === undefined) {
          fd = directIo ? openDirectForReading(file) : undefined;
          if (fd === undefined) fd = openSync(file, 'r');
          else direct = directPieces(fd, READ_BYTES);
        }
        const piece = next(fd);
        // A blob file shorter than it was when its source was made is damaged, not a message
        // that ends there.
        if (!piece && position < size) {
          throw Object.assign(new Error(`blob ended at ${position} of ${size} bytes`), {
            code: 'EIO',
          });
        }
        position += piece?.length ?? 0;
        this.push(piece);
      } catch (err) {
        this.destroy(err as Error);
      }
    },
    destroy(err, done) {
      direct?.dispose();
      try {
        if (fd !== undefined) closeSync(fd);
      } catch (closeErr) {
        err ??= closeErr as Error;
      }
      fd = undefined;
      done(err);
    },
  });
}

async function writeFile(
  file: string,
  data: Buffer | Readable,
  hash: Hash | null,
  directIo: boolean,
): Promise<Written> {
  const fh = await open(file, 'wx');
  let direct: FileHandle | undefined;
  try {
    direct = directIo ? await openDirectForWriting(file) : undefined;
    // Read off a stream, a chunk is the store's alone (an IMAP download's ~1 MB pieces), and
    // nothing reads it again: the writer frees it once done with it. A buffer is the caller's.
    const owned = !Buffer.isBuffer(data);
    const out = direct ? directWriter(direct, owned) : gatheredWriter(fh, owned);
    try {
      let size = 0;
      for await (const chunk of owned ? (data as AsyncIterable<Buffer | string>) : [data]) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash?.update(buf);
        size += buf.length;
        await out.write(buf);
      }
      await out.end();
      await fh.sync();
      return { size, sha256: hash ? hash.digest('hex') : null };
    } finally {
      out.dispose();
    }
  } finally {
    await direct?.close();
    await fh.close();
  }
}

/**
 * Writes through the page cache: a stream arrives in small chunks (16 KB–1 MB from a socket),
 * and one write call per chunk costs more than the data, so chunks are gathered and written
 * together (writev: no copy), then freed if `owned` (each that is no slice of a larger one).
 */
function gatheredWriter(fh: FileHandle, owned: boolean) {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  async function flush() {
    await writeAll(fh, pending);
    if (owned) for (const chunk of pending) if (ownsMemory(chunk)) release(chunk);
    pending = [];
    pendingBytes = 0;
  }
  return {
    async write(bytes: Buffer): Promise<void> {
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= WRITE_BYTES) await flush();
    },
    end: flush,
    dispose(): void {},
  };
}

/** writev until every byte is down: a short write (a full disk) is retried to get its error. */
async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers.filter((b) => b.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    while (rest.length > 0 && bytesWritten >= (rest[0]?.length ?? 0)) {
      bytesWritten -= rest[0]?.length ?? 0;
      rest = rest.slice(1);
    }
    if (bytesWritten > 0 && rest[0]) rest = [rest[0].subarray(bytesWritten), ...rest.slice(1)];
  }
}

/**
 * Moves a finished temp file under its name, durably. The name's folder is made only when the
 * rename finds it missing: one call a blob, not two. A blob already there is replaced by the
 * same bytes (the name is their hash), so two writers of one file, the same logo in two messages
 * at once, agree without asking first.
 */
async function place(tmp: string, final: string, root: string): Promise<void> {
  const dir = path.dirname(final);
  try {
    await rename(tmp, final);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await makeDir(dir, root);
    await rename(tmp, final);
  }
  // A folder another put has just made may not be durable yet: this blob waits for it too.
  await making.get(dir);
  await fsyncDir(dir);
}

// Folders being made, by the puts making them: every put into one waits until it is durable.
const making = new Map<string, Promise<void>>();

/**
 * mkdir -p `dir` (inside `root`), durably. A folder is on disk only once its entry in its parent
 * is: without the parents' fsync a power cut after the message's row commits could keep the row
 * and lose the folder, with the blob in it. Every parent up to the store's is fsynced, not only
 * those of the folders this call made: an earlier call that failed half-way made some too.
 */
function makeDir(dir: string, root: string): Promise<void> {
  let made = making.get(dir);
  if (!made) {
    made = (async () => {
      await mkdir(dir, { recursive: true });
      for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
        await fsyncDir(path.dirname(d));
        if (d === root) break;
      }
    })().finally(() => making.delete(dir));
    making.set(dir, made);
  }
  return made;
}

// The rename is durable only once the directory entry is on disk.
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function notFound(err: unknown, sha256: string): unknown {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new BlobError('BlobNotFound', `no blob ${sha256}`);
  }
  return err;
}
