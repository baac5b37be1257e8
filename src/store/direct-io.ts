// Blob files written and read around the page cache (O_DIRECT), where the filesystem allows it.
//
// A raw message is written once and read once soon after (by its evaluation), then rarely.
// Through the page cache every blob written takes pages the cache then keeps: on a virtual
// machine whose host takes free memory back, the host supplies each such page again on first
// touch, and on the bench's guests that cost ~2 CPU ms a megabyte, more than the rest of writing
// and reading it (docs/performance.md, "fresh pages", "blobs around the page cache"). Direct I/O
// moves the bytes between the disk and a few stages each thread reuses.
//
// Direct I/O wants the memory, the file offset and the length aligned to the disk's block. A
// Buffer's address is unknown to JavaScript; a WebAssembly.Memory's is page-aligned, so the
// stages are slices of one.
//
// Only on a local disk's filesystem (`directIoFits`): on tmpfs the page cache is the file itself,
// and on a network filesystem a direct read is a round trip to the server each time, where the
// page cache would read ahead. Where a filesystem refuses O_DIRECT at open all the same (EINVAL),
// the callers use ordinary I/O.
import { constants, openSync, readSync } from 'node:fs';
import { type FileHandle, open, statfs } from 'node:fs/promises';
import path from 'node:path';
import { ownsMemory, release } from '../buffers.js';

/** A stage's size: one write or read of a blob's bytes. */
const STAGE_BYTES = 1 << 20;
/** Direct I/O's offsets and lengths are multiples of this (a page; disks' blocks divide it). */
const ALIGN = 4096;

// The part of the WebAssembly API used here (the project's TypeScript library has no DOM types).
declare const WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } };
const WASM_PAGE = 64 * 1024;
/**
 * Stages made at once, as slices of one WebAssembly.Memory: each Memory reserves ~10 GB of
 * address space (V8's guard regions), so they are few. Memory not yet used is not resident.
 */
const STAGES_PER_MEMORY = 8;

/** Stages free for the next writer or reader on this thread. */
const spare: Buffer[] = [];

function takeStage(): Buffer {
  if (spare.length === 0) {
    const pages = (STAGES_PER_MEMORY * STAGE_BYTES) / WASM_PAGE;
    const memory = new WebAssembly.Memory({ initial: pages }).buffer;
    for (let i = 0; i < STAGES_PER_MEMORY; i++)
      spare.push(Buffer.from(memory, i * STAGE_BYTES, STAGE_BYTES));
  }
  return spare.pop() as Buffer;
}

function giveStage(stage: Buffer): void {
  spare.push(stage);
}

/** Local disks' filesystems, by statfs's f_type: ext2/3/4, XFS, Btrfs, F2FS. */
const LOCAL_DISK = new Set([0xef53, 0x58465342, 0x9123683e, 0xf2f52010]);

/** Whether files under `dir` (or its nearest existing parent) are on a local disk's filesystem. */
export async function directIoFits(dir: string): Promise<boolean> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      return LOCAL_DISK.has((await statfs(at)).type);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || at === path.dirname(at)) return false;
    }
  }
}

/** `file`, just created, opened again for direct writing; undefined where the filesystem refuses. */
export async function openDirectForWriting(file: string): Promise<FileHandle | undefined> {
  try {
    // Not with O_CREAT: Linux creates the file before it refuses O_DIRECT.
    return await open(file, constants.O_WRONLY | constants.O_DIRECT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw err;
  }
}

/** `file` opened for direct reading; undefined where the filesystem refuses. */
export function openDirectForReading(file: string): number | undefined {
  try {
    return openSync(file, constants.O_RDONLY | constants.O_DIRECT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw err;
  }
}

/**
 * Writes a file opened by openDirectForWriting: the bytes are copied into a stage and written a
 * stage at a time; `end` writes the last one padded to the block and cuts the file to its
 * length. With `owned`, each Buffer written is freed once copied (buffers.ts), unless it is a
 * slice of a larger one, whose other slices may be still to come.
 */
export function directWriter(fh: FileHandle, owned: boolean) {
  const stage = takeStage();
  let filled = 0;
  let position = 0;
  let size = 0;

  async function flush(length: number) {
    for (let done = 0; done < length; ) {
      const { bytesWritten } = await fh.write(stage, done, length - done, position + done);
      // A short write is a full disk: the next one says so (ENOSPC).
      if (bytesWritten === 0) throw Object.assign(new Error('no byte written'), { code: 'EIO' });
      done += bytesWritten;
    }
    position += length;
  }

  return {
    async write(bytes: Buffer): Promise<void> {
      size += bytes.length;
      for (let at = 0; at < bytes.length; ) {
        const n = bytes.copy(stage, filled, at);
        filled += n;
        at += n;
        if (filled === STAGE_BYTES) {
          await flush(STAGE_BYTES);
          filled = 0;
        }
      }
      if (owned && ownsMemory(bytes)) release(bytes);
    },
    async end(): Promise<void> {
      if (filled === 0) return;
      const padded = Math.ceil(filled / ALIGN) * ALIGN;
      stage.fill(0, filled, padded);
      await flush(padded);
      await fh.truncate(size);
    },
    /** After `end`, or when the write failed: the stage goes back for the next writer. */
    dispose(): void {
      giveStage(stage);
    },
  };
}

/**
 * Reads a file opened by openDirectForReading in pieces of at most `pieceBytes`, each a Buffer
 * of its own copied out of the stage (which is reused). The stage is filled with a synchronous
 * read, a handful a message: the reading thread waits for the disk instead of copying from the
 * page cache. `next` gives null at the end of the file (a read that came back short: the next
 * would be unaligned); `dispose` gives the stage back (the caller closes `fd`).
 */
export function directPieces(fd: number, pieceBytes: number) {
  let stage: Buffer | undefined;
  let staged = 0;
  let taken = 0;
  let position = 0;
  let ended = false;
  return {
    next(): Buffer | null {
      if (taken === staged) {
        if (ended) return null;
        stage ??= takeStage();
        staged = readSync(fd, stage, 0, STAGE_BYTES, position);
        taken = 0;
        position += staged;
        ended = staged < STAGE_BYTES;
        if (staged === 0) return null;
      }
      const n = Math.min(pieceBytes, staged - taken);
      const piece = Buffer.allocUnsafeSlow(n);
      (stage as Buffer).copy(piece, 0, taken, taken + n);
      taken += n;
      return piece;
    },
    dispose(): void {
      if (stage) giveStage(stage);
      stage = undefined;
    },
  };
}
