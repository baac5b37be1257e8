// Content-addressed files (raw .eml, attachments) under DATA_DIR/blobs: `ab/cd/<sha256>`.
// A blob appears under its name only complete and fsynced (temp file + rename), so a crash
// never leaves a half-written file that a later `has()` would trust.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface BlobStore {
  put(data: Buffer | Readable, expectedSize?: number): Promise<{ sha256: string; size: number }>;
  read(sha256: string): Promise<Buffer>;
  stream(sha256: string): Readable;
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

export function createBlobStore(dir: string): BlobStore {
  const root = path.resolve(dir);
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

  async function put(data: Buffer | Readable, expectedSize?: number) {
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      const { sha256, size } = await writeHashed(tmp, data);
      if (expectedSize !== undefined && size !== expectedSize) {
        // imapflow's download() can end early without an error (DESIGN.md §6).
        throw new BlobError(
          'BlobSizeMismatch',
          `blob is ${size} bytes, expected ${expectedSize} (truncated download?)`,
        );
      }
      const final = blobPath(sha256);
      if (await has(sha256)) {
        await rm(tmp, { force: true });
      } else {
        await mkdir(path.dirname(final), { recursive: true });
        await rename(tmp, final);
        await fsyncDir(path.dirname(final));
      }
      return { sha256, size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async function read(sha256: string): Promise<Buffer> {
    try {
      return await readFile(blobPath(sha256));
    } catch (err) {
      throw notFound(err, sha256);
    }
  }

  /** A missing blob surfaces as the stream's `error` (ENOENT); check `has()` first if needed. */
  function stream(sha256: string): Readable {
    return createReadStream(blobPath(sha256));
  }

  return { put, read, stream, has, path: blobPath };
}

async function writeHashed(file: string, data: Buffer | Readable) {
  const hash = createHash('sha256');
  let size = 0;
  const fh = await open(file, 'wx');
  try {
    const chunks: Iterable<Buffer> | AsyncIterable<Buffer | string> = Buffer.isBuffer(data)
      ? [data]
      : data;
    for await (const chunk of chunks) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      hash.update(buf);
      size += buf.length;
      await fh.write(buf);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { sha256: hash.digest('hex'), size };
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
