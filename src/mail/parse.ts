// Raw message bytes → ParsedMail. With read-mail.ts (which runs mailparser's parser), the only
// importer of mailparser. mailparser does the MIME work; this module repairs what it gets wrong
// for Chinese mail (DESIGN.md §6): raw 8-bit GBK headers, invalid Date headers turned into "now",
// forwarded submissions in message/rfc822.
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import {
  type AddressObject,
  type Attachment,
  type EmailAddress,
  parseAddressHeader,
} from 'mailparser';
import { usableDate } from '../submission/time.js';
import type { Address, ByteSource, MailAttachment, ParsedMail } from '../types.js';
import {
  decodeBinaryString,
  decodeRawHeader,
  decodeUndeclared,
  findNameInRaw,
  looksLikeRawBytes,
  nameParams,
  sanitizeFilename,
} from './charset.js';
import { autoReplyReason } from './classify.js';
import { type LibraryMail, readMail } from './read-mail.js';

export { sanitizeFilename };

type HeaderLine = { key: string; line: string };

/** A forward of a forward of a forward is still read; deeper nesting is left as attachments. */
const MAX_FORWARD_DEPTH = 3;
/** mailparser emits an error past this many parts; keep its default explicit. */
const MAX_PARTS = 1000;

/**
 * A stored message is best given as a ByteSource: it is read in pieces, so no thread holds the
 * whole raw message beside its decoded attachments (46 MB for a 30 MB attachment).
 */
export async function parseMail(raw: Buffer | ByteSource): Promise<ParsedMail> {
  return parseLevel(Buffer.isBuffer(raw) ? bufferSource(raw) : raw, 0);
}

async function parseLevel(raw: ByteSource, depth: number): Promise<ParsedMail> {
  const seen = { eightBit: false };
  const input = Readable.from(pieces(raw.open(), seen), { objectMode: false });
  let readError: Error | undefined;
  input.once('error', (err) => {
    readError = err;
  });
  let lib: LibraryMail;
  try {
    // ignoreEmbedded: every message/rfc822 part stays an attachment; unwrapForward decides.
    lib = await readMail(input, {
      ignoreEmbedded: true,
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      maxChildNodes: MAX_PARTS,
      // mailparser hashes every attachment with MD5 by default (~9 ms for 5 MB here); nothing
      // reads it: files are stored under the sha256 the documents step computes.
      checksumAlgo: false,
    });
  } catch (err) {
    // An unreadable source (a blob on a failing disk) is no fault of the mail: the job retries.
    if (readError) throw readError;
    return fallbackMail(await readUpTo(raw, HEAD_BYTES), err as Error);
  } finally {
    // mailparser failing mid-message leaves its input paused, not closed: a file stays open.
    input.destroy();
  }
  const mail = await fromLibrary(lib, raw, seen.eightBit);
  return depth < MAX_FORWARD_DEPTH ? unwrapForward(mail, depth) : mail;
}

// Handed one Buffer, mailparser splits the whole message in one go and holds every piece at
// once: a 72 MB message peaked at 560 MB RSS. Fed slices with back-pressure, the same message
// peaks near 300 MB (the slices are views, not copies). The slices are 64 KB, mailsplit's own
// chunk size: each becomes a latin1 string and a decoded Buffer in libbase64, and below 128 KB
// those land in V8's young generation and malloc's reused arenas. 1 MB slices made each one a
// fresh mapping, paid in page faults (bench: −40 % of the core's CPU a message, −80 % faults).
const SLICE_BYTES = 64 * 1024;

/** The source's bytes in SLICE_BYTES pieces, noting whether any byte has its high bit set. */
async function* pieces(input: AsyncIterable<Buffer>, seen: { eightBit: boolean }) {
  for await (const chunk of input) {
    if (!seen.eightBit && !isAscii(chunk)) seen.eightBit = true;
    for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
      yield chunk.subarray(at, at + SLICE_BYTES);
    }
  }
}

function bufferSource(raw: Buffer): ByteSource {
  return { size: raw.length, open: () => Readable.from([raw], { objectMode: false }) };
}

const HEAD_BYTES = 1024 * 1024;

/** The source's first `max` bytes (all of it by default), one Buffer. */
async function readUpTo(raw: ByteSource, max = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of raw.open()) {
    parts.push(chunk);
    bytes += chunk.length;
    if (bytes >= max) break;
  }
  const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  return (whole ?? Buffer.alloc(0)).subarray(0, max);
}

/** When mailparser gives up, keep what the header block says so the mail is still answered. */
function fallbackMail(raw: Buffer, err: Error): ParsedMail {
  const head = raw.toString('latin1');
  const blank = head.search(/\r?\n\r?\n/);
  const lines = splitHeaderLines(blank >= 0 ? head.slice(0, blank) : head);
  const binary = binaryHeaders(lines);
  return {
    ...headerFields(binary),
    to: [],
    contentType: contentTypeOf(binary),
    subject: binary.subject?.[0] === undefined ? '' : decodeRawHeader(binary.subject[0]).trim(),
    from: null,
    replyTo: null,
    text: '',
    attachments: [],
    forwarded: false,
    structureError: err.message.slice(0, 200),
    // The parser's own words (English, about MIME) stay in structureError, for the organisers:
    // warnings reach the applicant's letter.
    warnings: ['邮件结构无法解析，未能读取正文和附件，工作人员将查看原邮件。'],
  };
}

/** `eightBit`: whether the message has raw 8-bit bytes, which a name may need repairing from. */
async function fromLibrary(
  lib: LibraryMail,
  raw: ByteSource,
  eightBit: boolean,
): Promise<ParsedMail> {
  const binary = binaryHeaders(lib.headerLines ?? []);
  const first = (name: string) => binary[name]?.[0];
  const toBinary = binary.to ?? [];
  const to = (Array.isArray(lib.to) ? lib.to : lib.to ? [lib.to] : []).flatMap((a, i) =>
    repairAddresses(a, toBinary[i]),
  );
  return {
    ...headerFields(binary),
    subject: repairText(lib.subject, first('subject')),
    from: repairAddresses(lib.from, first('from'))[0] ?? null,
    replyTo: repairAddresses(lib.replyTo, first('reply-to'))[0] ?? null,
    to,
    contentType: contentTypeOf(binary),
    text: lib.text ?? '',
    attachments: await collectAttachments(lib.attachments ?? [], raw, eightBit),
    forwarded: false,
    warnings: [],
  };
}

// ── headers ────────────────────────────────────────────────────────────────────────────────

/** Header block text → logical header lines (folded continuations kept, as mailparser does). */
function splitHeaderLines(head: string): HeaderLine[] {
  const out: HeaderLine[] = [];
  for (const physical of head.split(/\r?\n/)) {
    const prev = out[out.length - 1];
    if (/^[ \t]/.test(physical) && prev) prev.line += `\r\n${physical}`;
    else if (physical.includes(':'))
      out.push({
        key: physical.slice(0, physical.indexOf(':')).trim().toLowerCase(),
        line: physical,
      });
  }
  return out;
}

/** Lower-case name → unfolded values, still one char per raw byte (latin1 "binary"). */
function binaryHeaders(lines: readonly HeaderLine[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  for (const { key, line } of lines) {
    if (!key) continue;
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n(?=[ \t])/g, '')
      .trim();
    const values = out[key] ?? [];
    values.push(value);
    out[key] = values;
  }
  return out;
}

function headerFields(binary: Record<string, string[]>) {
  const headers: Record<string, string[]> = Object.create(null);
  for (const [key, values] of Object.entries(binary)) {
    headers[key] = values.map((v) => (/[\x80-\xff]/.test(v) ? decodeBinaryString(v) : v));
  }
  const id = headers['message-id']?.[0]?.trim().split(/\s+/)[0];
  return {
    headers,
    messageId: id ? `<${id.replace(/^<|>$/g, '')}>` : null,
    date: parseHeaderDate(headers.date?.[0]),
    receivedDates: (headers.received ?? [])
      .map((v) => (v.includes(';') ? parseHeaderDate(v.slice(v.lastIndexOf(';') + 1)) : null))
      .filter((d): d is Date => d !== null),
  };
}

function contentTypeOf(binary: Record<string, string[]>): string {
  const value = binary['content-type']?.[0]?.split(';')[0]?.trim().toLowerCase();
  return value || 'text/plain';
}

/**
 * RFC 5322 dates (comments such as `(CST)` dropped). mailparser turns an unparseable Date into
 * "now", which must never reach the deadline check, so we parse the raw value ourselves. A time
 * of day is required: V8's lenient parser reads `foo 1` as 2001-01-01. So is a zone that says
 * one thing: a number, or UT/GMT/Z. A bare `CST` is China's to a Chinese server and the US
 * Central's to RFC 5322 (and V8), 14 hours apart; with no zone V8 takes this machine's.
 */
export function parseHeaderDate(value: string | undefined): Date | null {
  if (!value) return null;
  const cleaned = value
    .replace(/\([^()]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    // `+0800 CST`: the number says it (V8 would take the CST after it for the US's).
    .replace(/([+-]\d{4}) [a-z]{1,5}$/i, '$1');
  if (!/\d{1,2}:\d{2}(?::\d{2})? ?(?:(?:GMT|UTC?)?[+-]\d{4}|UTC?|GMT|Z)$/i.test(cleaned))
    return null;
  const time = Date.parse(cleaned);
  return Number.isNaN(time) ? null : new Date(time);
}

/** A receive time a message gives of itself, and which header gave it. */
export interface ReceivedAt {
  at: Date;
  source: 'received' | 'date';
}

/** A header block is looked at up to this far for a receive time. */
const HEADER_LIMIT = 256 * 1024;

/**
 * `receivedAtFromHeaders` of a raw message, read from its header block only (up to the first
 * empty line): for a file (`intake import`, the drop folder, `intake check`), where parsing the
 * whole message would read every attachment once more.
 */
export async function receivedAtOfRaw(raw: Buffer): Promise<ReceivedAt | null> {
  const slice = raw.subarray(0, HEADER_LIMIT);
  const ends = [slice.indexOf('\r\n\r\n'), slice.indexOf('\n\n')].filter((i) => i >= 0);
  const block = ends.length ? slice.subarray(0, Math.min(...ends) + 2) : slice;
  return receivedAtFromHeaders(await parseMail(Buffer.concat([block, Buffer.from('\r\n')])));
}

/**
 * Newest Received date (the receiving server's own stamp), else the sender's Date header; either
 * only if usable (`usableDate`). An impossible newest stamp is not passed over for an older one:
 * those below it may be the sender's own servers'.
 */
export function receivedAtFromHeaders(mail: ParsedMail, now = new Date()): ReceivedAt | null {
  const received = usableDate(mail.receivedDates[0], now);
  if (received) return { at: received, source: 'received' };
  const date = usableDate(mail.date, now);
  return date ? { at: date, source: 'date' } : null;
}

const replacementCount = (s: string) => s.split('\uFFFD').length - 1;

/** Subject: mailparser's value unless it lost raw 8-bit bytes (U+FFFD); then decode ourselves. */
function repairText(parsed: string | undefined, binary: string | undefined): string {
  const lib = (parsed ?? '').trim();
  if (binary === undefined) return lib;
  if (!lib.includes('\uFFFD') && !/[\x80-\xff]/.test(binary)) return lib;
  const ours = decodeRawHeader(binary)
    .replace(/(?<!\s)\s*\r?\n\s*/g, ' ')
    .trim();
  return replacementCount(ours) <= replacementCount(lib) ? ours : lib;
}

function flatten(list: EmailAddress[]): Address[] {
  return list.flatMap((a) =>
    a.group ? flatten(a.group) : [{ name: a.name ?? '', address: (a.address ?? '').trim() }],
  );
}

/**
 * Addresses: mailparser's, unless the raw header has 8-bit bytes. Then the structure is parsed
 * from the raw (latin1) text, so a decoded name with a comma cannot split an address, and each
 * display name that is still raw bytes is decoded.
 */
function repairAddresses(parsed: AddressObject | undefined, binary: string | undefined): Address[] {
  const lib = flatten(parsed?.value ?? []);
  if (binary === undefined) return lib;
  const broken = lib.some((a) => a.name.includes('\uFFFD'));
  if (!broken && !/[\x80-\xff]/.test(binary) && parsed) return lib;
  try {
    return flatten(parseAddressHeader(binary).value).map((a) => ({
      name: looksLikeRawBytes(a.name) ? decodeBinaryString(a.name) : a.name,
      address: looksLikeRawBytes(a.address) ? decodeBinaryString(a.address) : a.address,
    }));
  } catch {
    return lib;
  }
}

// ── attachments ────────────────────────────────────────────────────────────────────────────

function declaredType(a: Attachment): string {
  const header = a.headers?.get('content-type') as { value?: string } | undefined;
  const value = typeof header?.value === 'string' ? header.value : a.contentType;
  return (value || 'application/octet-stream').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The raw message, asked two ways: whether it holds some bytes (a latin1 string, one char per
 * byte), and, rarely, what its name parameters say. Every name's questions are asked in one more
 * pass over the source, and only when it has 8-bit bytes at all (most mail is 7-bit). The name
 * parameters are read from a text as big as the message (44 MB for a 30 MB attachment), so it
 * is made only for a name with U+FFFD, once for all of them, and not kept.
 */
interface RawSource {
  has(latin1: string): boolean;
  /** The message's name parameters, decoded (charset.ts `nameParams`); read once, if asked. */
  names(): Promise<string[]>;
}

async function rawSource(raw: ByteSource, eightBit: boolean, names: string[]): Promise<RawSource> {
  // Every spelling has a byte above 0x7F: none can be in a message of 7-bit bytes.
  const found = eightBit ? await findAll(raw, names.flatMap(rawSpellings)) : new Set<string>();
  let params: Promise<string[]> | undefined;
  return {
    has: (s) => found.has(s),
    names: () => {
      params ??= readUpTo(raw).then((bytes) => nameParams(bytes.toString('latin1')));
      return params;
    },
  };
}

/** What repairFilename may look for in the raw message: only names with 8-bit chars. */
function rawSpellings(name: string): string[] {
  if (name.includes('\uFFFD')) return []; // repaired from the raw text instead
  const spellings = [Buffer.from(name, 'utf8').toString('latin1'), name, name.split(/[\\/]/).pop()];
  // Plain ASCII is never repaired; a char above U+00FF is no raw byte.
  return spellings.filter(
    (s): s is string => !!s && /[\x80-\xff]/.test(s) && !/[\u0100-\uffff]/.test(s),
  );
}

/** Which of these latin1 strings occur in the source, read once (a window spans the pieces). */
async function findAll(raw: ByteSource, strings: string[]): Promise<Set<string>> {
  const wanted = new Map(strings.map((s) => [s, Buffer.from(s, 'latin1')]));
  const found = new Set<string>();
  if (wanted.size === 0) return found;
  const overlap = Math.max(...[...wanted.values()].map((b) => b.length)) - 1;
  let tail = Buffer.alloc(0); // the last `overlap` bytes read so far
  for await (const chunk of raw.open()) {
    const piece = chunk as Buffer;
    // A match across two pieces starts in the tail and ends within `overlap` bytes of this one.
    const seam = Buffer.concat([tail, piece.subarray(0, overlap)]);
    for (const [s, bytes] of wanted) {
      if (piece.indexOf(bytes) < 0 && seam.indexOf(bytes) < 0) continue;
      found.add(s);
      wanted.delete(s);
    }
    if (wanted.size === 0) break;
    const read = piece.length >= overlap ? piece : Buffer.concat([tail, piece]);
    tail = Buffer.from(read.subarray(Math.max(0, read.length - overlap)));
  }
  return found;
}

async function collectAttachments(
  list: Attachment[],
  raw: ByteSource,
  eightBit: boolean,
): Promise<MailAttachment[]> {
  const names = list.map((a) => a.filename ?? '');
  const source = await rawSource(raw, eightBit, names);
  const out: MailAttachment[] = [];
  for (const a of list) {
    const contentType = declaredType(a);
    const name = a.filename ? await repairFilename(a.filename, source) : '';
    // A nameless text part is a body mailparser could not place, not a file the sender attached.
    if (!name && contentType.startsWith('text/')) continue;
    const filename = sanitizeFilename(name, out.length + 1, contentType);
    out.push({ filename, contentType, content: a.content ?? Buffer.alloc(0) });
  }
  return out;
}

async function repairFilename(name: string, source: RawSource): Promise<string> {
  if (name.includes('\uFFFD')) return findNameInRaw(name, await source.names()) ?? name;
  // Raw bytes that happened to be valid UTF-8 were decoded as such ("铆" is GBK C3 AD, UTF-8
  // "í"); give them the same second look as a raw subject. Checked before the latin1 reading
  // below: the raw text of "楼.doc" (C2 A5) also contains "¥.doc" (A5), a false match there.
  const utf8 = Buffer.from(name, 'utf8');
  if (utf8.length > name.length && source.has(utf8.toString('latin1'))) {
    return decodeUndeclared(utf8);
  }
  // Undeclared 8-bit name: mailparser kept the bytes as latin1 chars. Only repair when those
  // bytes really are in the message, so a genuine ISO-8859-1 name (café.doc) is left alone.
  if (looksLikeRawBytes(name)) {
    // The raw value may spell the path differently (`C:\\dir\\` quoted); the base name is
    // the same bytes. Try the whole first: a GBK trail byte can be 0x5C, a backslash.
    const base = name.split(/[\\/]/).pop() ?? '';
    const raw = [name, base].find((n) => n && source.has(n));
    if (raw) return decodeBinaryString(raw);
  }
  return name;
}

// ── forwarded submissions ──────────────────────────────────────────────────────────────────

/**
 * "请把这封转发给你们": the submission sits in a message/rfc822 part. Read it as the submission
 * when the outer message carries nothing else (or the inner one carries files); the forwarder
 * stays the applicant. Bounces return the original as rfc822 too: those are left alone.
 */
async function unwrapForward(mail: ParsedMail, depth: number): Promise<ParsedMail> {
  const isEmbedded = (a: MailAttachment) => a.contentType === 'message/rfc822';
  if (!mail.attachments.some(isEmbedded) || autoReplyReason(mail) !== null) return mail;
  const inner = new Map<MailAttachment, ParsedMail>();
  for (const a of mail.attachments.filter(isEmbedded)) {
    inner.set(a, await parseLevel(bufferSource(a.content), depth + 1));
  }
  const own = mail.attachments.filter((a) => !isEmbedded(a));
  const innerCarries = [...inner.values()].some((m) => m.attachments.length > 0);
  // A digest or a bundle of several forwarded mails without files is not one submission.
  if (!innerCarries && (own.length > 0 || inner.size > 1)) return mail;
  const subject = [...inner.values()].find((m) => m.subject)?.subject ?? mail.subject;
  const about = subject ? `（主题“${subject}”）` : '';
  const sender = mail.from?.address ? `（${mail.from.address}）` : '';
  return {
    ...mail,
    subject,
    forwarded: true,
    attachments: mail.attachments.flatMap((a) => inner.get(a)?.attachments ?? [a]),
    text: [mail.text, ...[...inner.values()].map((m) => m.text)].filter(Boolean).join('\n\n'),
    warnings: [
      ...mail.warnings,
      `这是一封转发邮件：申报材料按所附原邮件${about}读取，申报人按转发人${sender}记录。`,
      ...[...inner.values()].flatMap((m) => m.warnings),
    ],
  };
}
