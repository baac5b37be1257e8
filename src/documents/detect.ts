// What a file really is, by its content, and whether that disagrees with its name or declared
// MIME type in a way that matters. The only importer of file-type.
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import type { DetectedType, DocumentProblem } from '../types.js';
import { readZipEntry } from './archive.js';

export interface Detection {
  type: DetectedType;
  /**
   * A disagreement between name (or declared type) and content that matters, as the problem to
   * record: `suspicious` for a disguise (a program named .jpg, a PDF named .docx), `unreadable`
   * for a document that is not what its name says because it is broken. Null when they agree,
   * or differ harmlessly within one family (a PNG named .jpg: the logo rule judges formats).
   */
  mismatch: DocumentProblem | null;
}

// file-type reports OOXML packages by their own names; we re-read the content types ourselves.
const ZIP_BASED = /^(zip|do[ct][xm]|xl[st][xm]|p[po][ts][xm])$/;
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** file-type's ext → our type; anything absent is 'unknown' (or refined below). */
const BY_FILE_TYPE: Record<string, DetectedType> = {
  pdf: 'pdf',
  jpg: 'jpeg',
  png: 'png',
  gif: 'gif',
  bmp: 'bmp',
  tif: 'tiff',
  webp: 'webp',
  zip: 'zip',
  rar: 'rar',
  '7z': '7z',
  exe: 'exe',
  elf: 'exe',
  macho: 'exe',
  mp4: 'video',
  mov: 'video',
  avi: 'video',
  mkv: 'video',
  webm: 'video',
  wmv: 'video',
  flv: 'video',
  '3gp': 'video',
  mpg: 'video',
  docx: 'docx',
  xlsx: 'xlsx',
  pptx: 'pptx',
};

/** Extension → the types that name honestly describes. */
const EXPECTED: Record<string, DetectedType[]> = {
  docx: ['docx'],
  docm: ['docm'],
  doc: ['doc', 'docx', 'wps'], // WPS and Word happily save .docx content under .doc
  wps: ['wps', 'doc', 'docx'],
  pdf: ['pdf'],
  jpg: ['jpeg'],
  jpeg: ['jpeg'],
  jpe: ['jpeg'],
  png: ['png'],
  gif: ['gif'],
  bmp: ['bmp'],
  tif: ['tiff'],
  tiff: ['tiff'],
  webp: ['webp'],
  zip: ['zip'],
  rar: ['rar'],
  '7z': ['7z'],
  xlsx: ['xlsx'],
  xls: ['xls', 'xlsx'],
  pptx: ['pptx'],
  ppt: ['ppt', 'pptx'],
  txt: ['text'],
};

/** Kinds of file an applicant thinks in; a type change within one is a slip, not a disguise. */
const FAMILY: Partial<Record<DetectedType, string>> = {
  docx: 'word',
  docm: 'word',
  doc: 'word',
  wps: 'word',
  pdf: 'pdf',
  jpeg: 'image',
  png: 'image',
  gif: 'image',
  bmp: 'image',
  tiff: 'image',
  webp: 'image',
  zip: 'archive',
  rar: 'archive',
  '7z': 'archive',
  xlsx: 'sheet',
  xls: 'sheet',
  pptx: 'slides',
  ppt: 'slides',
  exe: 'program',
  video: 'video',
  text: 'text',
};

/** Names that run code when opened, whatever their content looks like. */
const PROGRAM_EXTENSIONS = new Set([
  'exe',
  'msi',
  'com',
  'scr',
  'bat',
  'cmd',
  'ps1',
  'vbs',
  'js',
  'jar',
  'hta',
  'lnk',
]);
const OOXML_EXTENSIONS = new Set(['docx', 'docm', 'xlsx', 'pptx']);

const LABEL: Partial<Record<DetectedType, string>> = {
  docx: 'Word 文档（docx）',
  docm: '含宏的 Word 文档（docm）',
  doc: 'Word 97-2003 文档（doc）',
  wps: 'WPS 文档',
  pdf: 'PDF 文件',
  jpeg: 'JPEG 图片',
  png: 'PNG 图片',
  gif: 'GIF 图片',
  bmp: 'BMP 图片',
  tiff: 'TIFF 图片',
  webp: 'WebP 图片',
  zip: 'zip 压缩包',
  rar: 'RAR 压缩包',
  '7z': '7z 压缩包',
  xlsx: 'Excel 表格',
  xls: 'Excel 97-2003 表格',
  pptx: 'PowerPoint 演示文稿',
  ppt: 'PowerPoint 97-2003 演示文稿',
  exe: '可执行程序',
  text: '纯文本',
  video: '视频文件',
};

export const typeLabel = (t: DetectedType) => LABEL[t] ?? '无法识别的格式';

export function extensionOf(filename: string): string {
  return path.extname(filename).slice(1).toLowerCase();
}

export async function detectType(
  content: Buffer,
  filename: string,
  declaredType: string | null,
): Promise<Detection> {
  const type = await detectContent(content, extensionOf(filename));
  return { type, mismatch: mismatchOf(type, filename, declaredType) };
}

async function detectContent(content: Buffer, ext: string): Promise<DetectedType> {
  if (content.subarray(0, 8).equals(OLE_MAGIC)) return oleType(content, ext);
  if (content.subarray(0, 2).toString('latin1') === 'MZ') return 'exe';
  const found = await fileTypeFromBuffer(content);
  if (found && ZIP_BASED.test(found.ext)) return zipType(content);
  if (found)
    return BY_FILE_TYPE[found.ext] ?? (found.mime.startsWith('video/') ? 'video' : 'unknown');
  return looksLikeText(content) ? 'text' : 'unknown';
}

/** An OOXML package names its main part in `[Content_Types].xml`; any other zip is a zip. */
async function zipType(content: Buffer): Promise<DetectedType> {
  let types: string;
  try {
    types = (await readZipEntry(content, '[Content_Types].xml'))?.toString('utf8') ?? '';
  } catch {
    return 'zip';
  }
  if (/wordprocessingml\.document\.macroEnabled|ms-word\.document\.macroEnabled/i.test(types))
    return 'docm';
  if (/wordprocessingml\.(document|template)\.main/i.test(types)) return 'docx';
  if (/spreadsheetml\.(sheet|template)\.main|ms-excel\.sheet/i.test(types)) return 'xlsx';
  if (/presentationml\.(presentation|slideshow|template)\.main|ms-powerpoint/i.test(types))
    return 'pptx';
  return 'zip';
}

/**
 * OLE compound files hold .doc/.xls/.ppt/.wps and encrypted OOXML. Directory entries are
 * 128-byte records starting with the UTF-16LE stream name, at 128-byte offsets of the file
 * ([MS-CFB] 2.6): a stream of the file is a name found at such an offset, in a record that says
 * the name's length and a stream's type (oleEntry).
 */
export function oleStreams(content: Buffer, names: string[]): Set<string> {
  return new Set(names.filter((name) => oleEntry(content, name) >= 0));
}

/** Where the directory entry of stream `name` starts, or -1 (the length counts the name's NUL). */
function oleEntry(content: Buffer, name: string): number {
  const needle = Buffer.from(name, 'utf16le');
  for (let at = content.indexOf(needle); at >= 0; at = content.indexOf(needle, at + 1)) {
    if (at % 128 !== 0 || at + 0x43 > content.length) continue;
    if (content.readUInt16LE(at + 0x40) === needle.length + 2 && content[at + 0x42] === 2) {
      return at;
    }
  }
  return -1;
}

/**
 * Whether a Word 97–2003 file (.doc, OLE .wps) was saved with an open password: fEncrypted in
 * the FIB that starts its WordDocument stream ([MS-DOC] 2.5.2). word-extractor does not look:
 * such a file was reported as damaged. The stream's first sector is named in its directory entry
 * ([MS-CFB] 2.6.1). A stream kept in the mini stream, or no FIB where one should start, answers
 * false, and the reader says what it says.
 */
export function encryptedWord97(content: Buffer): boolean {
  const entry = oleEntry(content, 'WordDocument');
  if (entry < 0 || entry + 0x7c > content.length) return false;
  const sectorShift = content.readUInt16LE(0x1e);
  const miniStreamCutoff = content.readUInt32LE(0x38);
  const size = content.readUInt32LE(entry + 0x78);
  if (sectorShift < 7 || sectorShift > 16 || size < miniStreamCutoff) return false;
  const fib = (content.readUInt32LE(entry + 0x74) + 1) * 2 ** sectorShift;
  if (fib + 0x0c > content.length || content.readUInt16LE(fib) !== WORD_FIB_MAGIC) return false;
  return (content.readUInt16LE(fib + 0x0a) & F_ENCRYPTED) !== 0;
}

const WORD_FIB_MAGIC = 0xa5ec;
const F_ENCRYPTED = 0x0100;

function oleType(content: Buffer, ext: string): DetectedType {
  const streams = oleStreams(content, [
    'WordDocument',
    'EncryptionInfo',
    'Workbook',
    'Book',
    'PowerPoint Document',
  ]);
  // An encrypted .docx/.xlsx is an OLE file holding EncryptionInfo + EncryptedPackage; keep the
  // OOXML type so the reader reports it as encrypted rather than as a broken file.
  if (streams.has('EncryptionInfo')) {
    if (ext === 'xlsx' || ext === 'xls') return 'xlsx';
    if (ext === 'pptx' || ext === 'ppt') return 'pptx';
    return 'docx';
  }
  if (streams.has('WordDocument')) return ext === 'wps' ? 'wps' : 'doc';
  if (streams.has('Workbook') || streams.has('Book')) return 'xls';
  if (streams.has('PowerPoint Document')) return 'ppt';
  if (ext === 'wps') return 'wps';
  if (ext === 'xls' || ext === 'ppt') return ext;
  return 'doc';
}

/** No NULs and valid UTF-8, or mostly printable bytes (GBK text is not valid UTF-8). */
function looksLikeText(content: Buffer): boolean {
  const head = content.subarray(0, 64 * 1024);
  if (head.length === 0 || head.includes(0)) return false;
  let control = 0;
  for (const b of head) if (b < 9 || (b > 13 && b < 32)) control++;
  return control / head.length < 0.01;
}

const MIME_FAMILY: [RegExp, DetectedType[]][] = [
  [/^image\/(jpeg|jpg|pjpeg)$/, ['jpeg']],
  [/^image\/png$/, ['png']],
  [/^application\/pdf$/, ['pdf']],
  [/^application\/msword$/, ['doc', 'wps', 'docx']],
  [/wordprocessingml/, ['docx', 'docm']],
];

function mismatchOf(
  type: DetectedType,
  filename: string,
  declaredType: string | null,
): DocumentProblem | null {
  const ext = extensionOf(filename);
  const label = typeLabel(type);
  const suspicious = (message: string): DocumentProblem => ({ kind: 'suspicious', message });
  if (type === 'exe' || PROGRAM_EXTENSIONS.has(ext)) {
    return suspicious(`附件“${filename}”实际是可执行程序，出于安全原因不予处理`);
  }
  const expected = EXPECTED[ext];
  if (expected && !expected.includes(type) && !(type === 'text' && ext === 'txt')) {
    const broken = type === 'unknown' || (type === 'zip' && OOXML_EXTENSIONS.has(ext));
    if (broken) {
      return {
        kind: 'unreadable',
        message: `附件“${filename}”的内容不是有效的 .${ext} 文件，可能已损坏，请重新保存后发送`,
      };
    }
    if (FAMILY[type] === FAMILY[expected[0] as DetectedType]) return null;
    return suspicious(
      `附件“${filename}”的扩展名是 .${ext}，但内容实际是${label}，请按实际格式保存后重新发送`,
    );
  }
  const declared = (declaredType ?? '').toLowerCase();
  const family = MIME_FAMILY.find(([re]) => re.test(declared));
  if (
    !expected &&
    family &&
    type !== 'unknown' &&
    !family[1].some((t) => FAMILY[t] === FAMILY[type])
  ) {
    return suspicious(`附件“${filename}”声明的类型是 ${declared}，但内容实际是${label}`);
  }
  return null;
}
