// Header decoding that mailparser gets wrong for Chinese mail (DESIGN.md §6): raw 8-bit GBK
// headers from Foxmail / Outlook Express (no encoded-words) and encoded-words whose declared
// charset is narrower than the bytes (gb2312/gbk labels over GB18030 data). The only importer
// of iconv-lite in the mail layer.
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { showable } from '../names.js';

// GB18030 is a superset of GB2312 and GBK, so a mislabelled header still decodes.
const GB_FAMILY = new Set([
  'gb2312',
  'gbk',
  'cp936',
  'x-gbk',
  'gb_2312-80',
  'euc-cn',
  'x-euc-cn',
  'gb18030',
  'chinese',
  'csgb2312',
  'ms936',
  'windows-936',
]);
const BIG5_FAMILY = new Set(['big5', 'big5-hkscs', 'x-big5', 'cn-big5', 'csbig5', 'cp950']);

/** Characters UTF-8 gives GBK bytes when they happen to be valid UTF-8: Latin-1, Cyrillic, Greek… */
const TWO_BYTE_UTF8 = /[\u0080-\u07ff]/;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/**
 * Undeclared 8-bit bytes (a raw header, a zip name): UTF-8 when valid, else GB18030.
 * GBK text is occasionally valid UTF-8 by accident ("小" is D0 A1, UTF-8 "С"); such a decoding
 * is all two-byte letters and no CJK, so when GB18030 reads the same bytes cleanly as Chinese we
 * take GB18030 — this mailbox receives Chinese, and a UTF-8 header with only accented or
 * Cyrillic letters is the rarer case.
 */
export function decodeUndeclared(bytes: Buffer): string {
  if (isUtf8(bytes)) {
    const utf8 = bytes.toString('utf8');
    if (CJK.test(utf8) || !TWO_BYTE_UTF8.test(utf8)) return utf8;
    const gb = iconv.decode(bytes, 'gb18030');
    return !gb.includes('\uFFFD') && CJK.test(gb) ? gb : utf8;
  }
  const gb = iconv.decode(bytes, 'gb18030');
  if (!gb.includes('\uFFFD')) return gb;
  const mixed = decodeMixed(bytes);
  return replacements(mixed) < replacements(gb) ? mixed : gb;
}

const replacements = (s: string) => s.split('\uFFFD').length - 1;

/** Length of a valid UTF-8 sequence of three or four bytes at `i`, else 0. */
function utf8SequenceAt(bytes: Buffer, i: number): number {
  const lead = bytes[i] ?? 0;
  const n = lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  return n > 0 && i + n <= bytes.length && isUtf8(bytes.subarray(i, i + n)) ? n : 0;
}

/**
 * Spam (and some broken gateways) splice UTF-8 and GBK in one header. Take three- and four-byte
 * UTF-8 sequences where they start on a character boundary, and read the runs between as GB18030.
 * Two-byte UTF-8 is not tried: GBK pairs look like it far too often.
 */
function decodeMixed(bytes: Buffer): string {
  const gb = (from: number, to: number) => iconv.decode(bytes.subarray(from, to), 'gb18030');
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceAt(bytes, i);
    if (n > 0) {
      out += gb(runStart, i) + bytes.toString('utf8', i, i + n);
      i += n;
      runStart = i;
      continue;
    }
    // Step one GB18030 character: ASCII 1, four-byte form (digit second byte) 4, else 2.
    const next = bytes[i + 1] ?? 0;
    i += (bytes[i] ?? 0) < 0x80 ? 1 : next >= 0x30 && next <= 0x39 ? 4 : 2;
  }
  return out + gb(runStart, bytes.length);
}

/** Bytes in a declared charset, widening the Chinese labels; unknown charsets are guessed. */
export function decodeCharset(bytes: Buffer, charset: string): string {
  const label = charset.trim().toLowerCase().replace(/^"|"$/g, '');
  if (GB_FAMILY.has(label)) return iconv.decode(bytes, 'gb18030');
  if (BIG5_FAMILY.has(label)) return iconv.decode(bytes, 'big5');
  // A "utf-8" label over GBK bytes is a common webmail mistake.
  if (label === 'utf-8' || label === 'utf8' || label === 'us-ascii' || label === 'ascii') {
    return decodeUndeclared(bytes);
  }
  if (iconv.encodingExists(label)) return iconv.decode(bytes, label);
  return decodeUndeclared(bytes);
}

const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g;

function wordBytes(encoding: string, text: string): Buffer {
  if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64');
  const qp = text.replace(/_/g, ' ');
  const out: number[] = [];
  for (let i = 0; i < qp.length; i++) {
    const hex = qp.slice(i + 1, i + 3);
    if (qp[i] === '=' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      out.push(qp.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

/**
 * RFC 2047 encoded-words. Adjacent words of one charset are joined as bytes before decoding,
 * because GBK clients split a double-byte character across two base64 words.
 */
export function decodeEncodedWords(text: string): string {
  let out = '';
  let charset = '';
  let chunks: Buffer[] = [];
  let last = 0;
  const flush = () => {
    if (chunks.length > 0) out += decodeCharset(Buffer.concat(chunks), charset);
    chunks = [];
  };
  for (const m of text.matchAll(ENCODED_WORD)) {
    const gap = text.slice(last, m.index);
    const wordCharset = (m[1] ?? '').toLowerCase();
    const bytes = wordBytes(m[2] ?? 'B', m[3] ?? '');
    // RFC 2047 §6.2: white space between adjacent encoded-words is not displayed.
    const adjacent = chunks.length > 0 && /^\s*$/.test(gap);
    if (adjacent && wordCharset === charset) {
      chunks.push(bytes);
    } else {
      flush();
      if (!adjacent) out += gap;
      charset = wordCharset;
      chunks = [bytes];
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + text.slice(last);
}

/** A header value exactly as received (a latin1 "binary" string, one char per byte), decoded. */
export function decodeRawHeader(binary: string): string {
  const text = /[\x80-\xff]/.test(binary)
    ? decodeUndeclared(Buffer.from(binary, 'latin1'))
    : binary;
  return decodeEncodedWords(text);
}

/**
 * mailparser leaves an undeclared 8-bit parameter (a GBK file name) as latin1 text, one char
 * per byte: `Éê±¨±í.doc`. Those chars are the raw bytes; decode them.
 */
export function looksLikeRawBytes(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole byte range is meant
  return /^[\x00-\xff]*$/.test(text) && /[\x80-\xff]/.test(text);
}

export function decodeBinaryString(text: string): string {
  return decodeUndeclared(Buffer.from(text, 'latin1'));
}

/** An RFC 2231 value `charset'lang'%XX…` (single segment). */
export function decodeRfc2231(value: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!m) return value;
  const bytes = Buffer.from(
    (m[2] ?? '').replace(/%([0-9a-fA-F]{2})/g, (_, h) =>
      String.fromCharCode(Number.parseInt(h, 16)),
    ),
    'latin1',
  );
  return decodeCharset(bytes, m[1] || 'utf-8');
}

// ── file names ──────────────────────────────────────────────────────────────────────────────

const MAX_FILENAME_CHARS = 200;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'application/pdf': 'pdf',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/zip': 'zip',
  'message/rfc822': 'eml',
  'text/plain': 'txt',
  'text/html': 'html',
};

/** Every name parameter's value in a raw message (latin1 text), decoded as a header would be. */
export function nameParams(rawText: string): string[] {
  const params = /\b(?:file)?name(\*)?\s*=\s*(?:"([^"\r\n]*)"|([^;\s]+))/gi;
  return Array.from(rawText.matchAll(params), (m) => {
    const value = m[2] ?? m[3] ?? '';
    return m[1] ? decodeRfc2231(value) : decodeRawHeader(value);
  });
}

/**
 * A name with U+FFFD came from an encoded-word or RFC 2231 value whose charset label was too
 * narrow. Of the message's own name parameters (`nameParams`, decoded ourselves), take the one
 * that agrees with mailparser's outside the replacement characters.
 */
export function findNameInRaw(broken: string, candidates: string[]): string | null {
  const pieces = broken.split(/\uFFFD+/);
  return candidates.find((c) => !c.includes('\uFFFD') && fitsAround(pieces, c)) ?? null;
}

/**
 * Whether `s` is `pieces` in order with at least one character in each gap, as `^p0.+p1.+…$`
 * would say, in one pass: each middle piece is taken at its first place after the one before
 * (the earliest leaves the most room for the rest). A regular expression of a hostile name's
 * pieces backtracks exponentially on a long near-miss.
 */
function fitsAround(pieces: string[], s: string): boolean {
  const first = pieces[0] ?? '';
  const last = pieces.at(-1) ?? '';
  if (pieces.length === 1) return s === first;
  if (!s.startsWith(first) || !s.endsWith(last)) return false;
  let end = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const at = s.indexOf(piece, end + 1);
    if (at < 0) return false;
    end = at + piece.length;
  }
  return s.length - last.length > end;
}

/** No directories, control or bidi-override characters, at most 200 chars, never empty. */
export function sanitizeFilename(name: string, n: number, contentType: string): string {
  let clean = showable(name.split(/[\\/]/).pop() ?? '')
    .trim()
    .replace(/^\.+/, '')
    .trim();
  const chars = Array.from(clean);
  if (chars.length > MAX_FILENAME_CHARS) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = chars.slice(0, MAX_FILENAME_CHARS - Array.from(ext).length).join('') + ext;
  }
  return clean || `attachment-${n}.${EXTENSIONS[contentType] ?? 'bin'}`;
}
