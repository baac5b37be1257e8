// Turning files into messages: a single .eml, a folder of them, a Maildir, an mbox. Used by
// `intake import` and the drop folder. Receive time of a file: the newest Received: header's
// date (the receiving server's clock), else the file's mtime.
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { decodeUndeclared } from '../mail/charset.js';
import { receivedAtOfRaw } from '../mail/parse.js';

/** A file's path: bytes when a name in it is not UTF-8 (a Windows zip's GBK names, unpacked). */
export type FilePath = string | Buffer;

/** A name as text: UTF-8 if it is that (a file system's own), else as a zip's name is read. */
const nameText = (bytes: Buffer) => (isUtf8(bytes) ? bytes.toString() : decodeUndeclared(bytes));

/** A path as text, for logs and names. */
export function pathText(p: FilePath): string {
  if (typeof p === 'string') return p;
  const parts: Buffer[] = [];
  // A `/` byte is never inside a GBK character (its second bytes are 0x40 and above).
  for (let from = 0, to = p.indexOf(0x2f); ; from = to + 1, to = p.indexOf(0x2f, from)) {
    parts.push(p.subarray(from, to < 0 ? undefined : to));
    if (to < 0) break;
  }
  return parts.map(nameText).join('/');
}

/**
 * A folder's entries, sorted, dot-files left out. Read as bytes: listed as text, a name that is
 * not UTF-8 comes back with U+FFFD in it, a path that opens nothing.
 */
export async function listFolder(dir: FilePath): Promise<{ name: string; path: FilePath }[]> {
  const base = Buffer.from(dir);
  return (await readdir(dir, { encoding: 'buffer' }))
    .sort(Buffer.compare)
    .map((bytes) => {
      const name = nameText(bytes);
      const utf8 = typeof dir === 'string' && isUtf8(bytes);
      return {
        name,
        path: utf8 ? path.join(dir, name) : Buffer.concat([base, Buffer.from(path.sep), bytes]),
      };
    })
    .filter((e) => !e.name.startsWith('.'));
}

export interface FileMessage {
  /** Where it came from, for logs and the row's original name: a path, or `mbox#N`. */
  name: string;
  raw: Buffer;
  receivedAt: Date;
  receivedAtSource: 'received-header' | 'mtime';
}

export async function receiveTime(raw: Buffer, fallback: Date) {
  const found = await receivedAtOfRaw(raw);
  return found?.source === 'received'
    ? { receivedAt: found.at, receivedAtSource: 'received-header' as const }
    : { receivedAt: fallback, receivedAtSource: 'mtime' as const };
}

async function fromFile(file: FilePath, raw?: Buffer): Promise<FileMessage> {
  const { mtime } = await stat(file);
  const bytes = raw ?? (await readFileBytes(file));
  return { name: pathText(file), raw: bytes, ...(await receiveTime(bytes, mtime)) };
}

async function readFileBytes(file: FilePath): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

async function head(file: FilePath, bytes: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(bytes), 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

const isMbox = async (file: FilePath) => (await head(file, 5)) === 'From ';

/** Whether a file's first bytes (as latin1) open as mail does: an mbox line or a header line. */
export function startsLikeMail(start: string): boolean {
  return start.startsWith('From ') || /^[\x21-\x39\x3b-\x7e]+:[ \t]/.test(start);
}

/** In a plain folder: an .eml, an mbox, or any file that opens with a header line. */
async function looksLikeMail(file: FilePath): Promise<boolean> {
  return /\.eml$/i.test(pathText(file)) || startsLikeMail(await head(file, 200));
}

/** mboxrd: messages start at `From ` lines; `>From ` lines inside were escaped once. */
async function* fromMbox(file: FilePath): AsyncGenerator<FileMessage> {
  const { mtime } = await stat(file);
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'latin1' }),
    crlfDelay: Infinity,
  });
  let current: string[] | null = null;
  let index = 0;
  const flush = async (): Promise<FileMessage | null> => {
    if (!current) return null;
    // The empty line before the next `From ` separates messages; it is not the message's (with
    // it, a message imported from an mbox would differ from the copy that came by IMAP).
    if (current.at(-1) === '') current.pop();
    // latin1 round-trips bytes exactly, so 8-bit headers and bodies survive untouched.
    const raw = Buffer.from(`${current.join('\r\n')}\r\n`, 'latin1');
    index++;
    return { name: `${pathText(file)}#${index}`, raw, ...(await receiveTime(raw, mtime)) };
  };
  for await (const line of lines) {
    if (line.startsWith('From ')) {
      const done = await flush();
      if (done) yield done;
      current = [];
      continue;
    }
    current?.push(/^>+From /.test(line) ? line.slice(1) : line);
  }
  const last = await flush();
  if (last) yield last;
}

/**
 * Told of an entry of a folder that could not be read (a dangling link, a file without
 * permission); the folder's other entries go on. Without one, the first such entry ends the walk.
 */
export type Unreadable = (name: string, err: Error) => void;

/** `walk` over a folder's `entries`, each entry's failure told to `skip` if there is one. */
async function* eachEntry(
  entries: { path: FilePath }[],
  walk: (entry: FilePath) => AsyncGenerator<FileMessage>,
  skip: Unreadable | undefined,
): AsyncGenerator<FileMessage> {
  for (const { path: full } of entries) {
    try {
      yield* walk(full);
    } catch (err) {
      if (!skip) throw err;
      skip(pathText(full), err as Error);
    }
  }
}

async function* fromFolder(dir: FilePath, skip?: Unreadable): AsyncGenerator<FileMessage> {
  const entries = await listFolder(dir);
  // A Maildir keeps delivered mail in cur/ and new/ (tmp/ is mail still being written).
  const maildir = ['cur', 'new', 'tmp'].every((d) => entries.some((e) => e.name === d));
  const delivered = entries.filter((e) => e.name === 'cur' || e.name === 'new');
  yield* eachEntry(
    maildir ? delivered : entries,
    async function* (full) {
      const s = await stat(full);
      if (s.isDirectory()) yield* maildir ? fromAllFiles(full, skip) : fromFolder(full, skip);
      else if (await looksLikeMail(full)) yield* fromPath(full);
    },
    skip,
  );
}

async function* fromAllFiles(dir: FilePath, skip?: Unreadable): AsyncGenerator<FileMessage> {
  yield* eachEntry(
    await listFolder(dir),
    async function* (full) {
      if ((await stat(full)).isFile()) yield await fromFile(full);
    },
    skip,
  );
}

/**
 * Every message at `target`: a file (.eml or mbox) or a folder (plain or Maildir). What cannot
 * be read, `target` itself or an entry of a folder, is told to `skip`, if given, and passed over.
 */
export async function* fromPath(target: FilePath, skip?: Unreadable): AsyncGenerator<FileMessage> {
  yield* eachEntry([{ path: target }], (p) => messagesAt(p, skip), skip);
}

async function* messagesAt(target: FilePath, skip?: Unreadable): AsyncGenerator<FileMessage> {
  const s = await stat(target);
  if (s.isDirectory()) yield* fromFolder(target, skip);
  else if (!(await isMbox(target))) yield await fromFile(target);
  else if (/\.eml$/i.test(pathText(target)))
    yield await fromFile(target, await afterFromLine(target));
  else yield* fromMbox(target);
}

/**
 * An .eml saved with an mbox's `From ` line in front (some mail programs write one): one
 * message, the line dropped. Read as an mbox, a body line starting `From ` (unescaped in an
 * .eml) cut it in two.
 */
async function afterFromLine(file: FilePath): Promise<Buffer> {
  const bytes = await readFileBytes(file);
  const end = bytes.indexOf(0x0a);
  return end < 0 ? Buffer.alloc(0) : bytes.subarray(end + 1);
}
