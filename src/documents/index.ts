// Reads every attachment of a message: detects its real type, dispatches to the reader, and
// flattens archives (the archive's own DocumentRead, then its entries with `insideArchive`).
// Whatever goes wrong with one file becomes a DocumentProblem on it; nothing here throws for
// bad input, and every reader runs under a timeout.
import { createHash } from 'node:crypto';
import { type ContestProfile, nameHas } from '../config/contest.js';
import type {
  DetectedType,
  DocumentProblem,
  DocumentRead,
  FileEntry,
  MailAttachment,
} from '../types.js';
import { type ArchiveBudget, newBudget, unpackRar, unpackZip } from './archive.js';
import { detectType } from './detect.js';
import { readDoc } from './doc.js';
import { readDocx } from './docx.js';
import { detectRedSeal, readImage } from './image.js';
import { readPdf } from './pdf.js';
import { DocumentError, isProblem } from './problems.js';
import { type MessageClock, ReadingTimeSpent } from './worker.js';

export { detectRedSeal } from './image.js';
export { closeDocumentsWorker, collectDocumentsWorker } from './worker.js';

const IMAGE_TYPES = new Set<DetectedType>(['jpeg', 'png', 'gif', 'bmp', 'tiff', 'webp']);

/**
 * Keeps a file for good (a message's files are written to the blob store when the dashboard
 * first asks for one: `rereadMessage` in src/evaluator.ts). readDocuments starts it for each
 * file as the file is met, lets it run while files are read (a write ends with an fsync, a wait
 * worth filling), and returns once every one has finished.
 */
export type StoreFile = (entry: FileEntry) => Promise<void>;

interface Context {
  profile: ContestProfile;
  store?: StoreFile;
  /** The writes started so far (shared by all files of the message). */
  storing: Promise<void>[];
  /** The documents worker's reads started so far (`readContent`), each filling in its file's read. */
  reading: Promise<void>[];
  /** 0 for an attachment, 1 for an entry of an attached archive, … */
  depth: number;
  budget: ArchiveBudget;
  /**
   * The time the message's Word files and PDFs have run in the documents worker (waiting behind
   * other messages' files not counted); files whose turn comes past MESSAGE_READ_TIMEOUTS are
   * not read (worker.ts, `allowedMs`).
   */
  clock: MessageClock;
}

/**
 * A message's files together may run this many files' timeouts (120 s with the profile's 20):
 * a zip of fifteen files that each run to the timeout would otherwise take five minutes, and the
 * evaluation pool would replace the thread, failing the other messages on it as well.
 */
const MESSAGE_READ_TIMEOUTS = 6;

/**
 * Reads every attachment, archives unpacked. The files' bytes are taken: a PDF's or a Word
 * file's move to the documents worker, leaving its Buffer (the attachment's `content`) empty.
 */
export async function readDocuments(
  attachments: MailAttachment[],
  profile: ContestProfile,
  store?: StoreFile,
): Promise<DocumentRead[]> {
  const reads: DocumentRead[] = [];
  // The archive caps are the message's: twenty small archives do not get twenty times them.
  const shared: Context = {
    profile,
    store,
    storing: [],
    reading: [],
    depth: 0,
    budget: newBudget(),
    clock: { ms: 0, allowedMs: MESSAGE_READ_TIMEOUTS * profile.limits.documentTimeoutMs },
  };
  for (const a of attachments) {
    const entry = toEntry(a.filename, a.contentType || null, a.content);
    shared.budget.exhausted = false; // a limit hit ends the unpacking of its own attachment only
    reads.push(...(await readEntry(entry, shared)));
  }
  await Promise.all(shared.reading);
  // A file that could not be stored fails the whole reading: it is the store's failure (a full
  // disk), not the applicant's.
  await Promise.all(shared.storing);
  return reads;
}

/**
 * One bare file (a test's): its read, then any archive entries. A copy is read, so the caller
 * keeps its bytes.
 */
export function readOne(
  filename: string,
  content: Buffer,
  profile: ContestProfile,
): Promise<DocumentRead[]> {
  return readDocuments([{ filename, contentType: '', content: Buffer.from(content) }], profile);
}

export function toEntry(filename: string, declaredType: string | null, content: Buffer): FileEntry {
  return {
    filename,
    declaredType,
    content,
    bytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    insideArchive: null,
  };
}

async function readEntry(entry: FileEntry, ctx: Context): Promise<DocumentRead[]> {
  const { profile } = ctx;
  const written = startStore(entry, ctx);
  const read: DocumentRead = { entry, detectedType: 'unknown', problems: [] };
  if (entry.bytes === 0) {
    read.problems.push({
      kind: 'unreadable',
      message: `附件“${entry.filename}”是空文件（0 字节），请重新添加附件后发送`,
    });
    return [read];
  }
  const detection = await guarded(read, profile.limits.documentTimeoutMs, () =>
    detectType(entry.content, entry.filename, entry.declaredType),
  );
  if (!detection) return [read];
  read.detectedType = detection.type;
  if (detection.mismatch) read.problems.push(detection.mismatch);
  if (entry.bytes > profile.limits.maxAttachmentBytes) {
    const mb = Math.round(profile.limits.maxAttachmentBytes / 1024 / 1024);
    read.problems.push({
      kind: 'too_large',
      message: `附件“${entry.filename}”超过 ${mb} MB，未予读取，请压缩或拆分后重新发送`,
    });
    return [read];
  }
  if (read.detectedType === 'zip' || read.detectedType === 'rar')
    return [read, ...(await readArchive(read, ctx))];
  await readContent(read, ctx, written);
  return [read];
}

/**
 * Starts the file's write, if there is a store; readDocuments awaits it (and reports its
 * failure). The promise returned settles when the file's bytes are no longer needed for it.
 */
function startStore(entry: FileEntry, ctx: Context): Promise<void> {
  if (!ctx.store) return Promise.resolve();
  const writing = ctx.store(entry);
  ctx.storing.push(writing);
  return writing.catch(() => undefined);
}

async function readContent(
  read: DocumentRead,
  ctx: Context,
  written: Promise<void>,
): Promise<void> {
  const { entry } = read;
  const { profile } = ctx;
  const { limits } = profile;
  // PDFs and Word files are read in the documents worker, which stops a run past its timeout
  // itself (so no timer here: it would count time queued behind other files). Their bytes are
  // not needed here once read, so they move to the worker instead of being copied (a 30 MB
  // attachment is not held twice): after the file's write, when there is one. They are asked
  // for and not waited for here: the worker then has all of a message's files at once and reads
  // them one after another (worker.ts, `runTask`); readDocuments waits for them.
  const inWorker = (step: () => Promise<void>) => {
    const reading = written.then(step);
    // Handled, so that a failure before readDocuments waits for it is not an unhandled rejection
    // (which ends the process); readDocuments still sees it.
    reading.catch(() => undefined);
    ctx.reading.push(reading);
  };
  if (read.detectedType === 'docm') {
    read.problems.push({
      kind: 'suspicious',
      message: `附件“${entry.filename}”是含宏的 Word 文档（docm），出于安全原因请另存为普通 .docx 后重新发送`,
    });
  }
  switch (read.detectedType) {
    case 'docm':
    case 'docx':
      return inWorker(async () => {
        read.word = await guarded(read, undefined, () =>
          readDocx(entry.content, limits, true, ctx.clock),
        );
      });
    case 'doc':
    case 'wps':
      return inWorker(async () => {
        read.word = await guarded(read, undefined, () =>
          readDoc(entry.content, limits, true, ctx.clock),
        );
      });
    case 'pdf':
      return inWorker(() => readPdfInto(read, profile, ctx.clock));
    case '7z':
      read.problems.push({
        kind: 'unsupported',
        message: `暂不支持该压缩格式（${entry.filename}），请直接发送附件或使用 zip 压缩`,
      });
      return;
    default:
      if (IMAGE_TYPES.has(read.detectedType)) return readImageInto(read, profile);
  }
}

async function readPdfInto(
  read: DocumentRead,
  profile: ContestProfile,
  clock: Context['clock'],
): Promise<void> {
  const pdfLimits = profile.limits.pdf;
  const renderPages = nameHas(read.entry.filename, profile.filenameKeywords.scan);
  const result = await guarded(read, undefined, () =>
    readPdf(read.entry.content, pdfLimits, {
      renderPages,
      handOver: true,
      maxImagePixels: profile.limits.image.maxPixels,
      clock,
    }),
  );
  if (!result) return;
  read.pdf = result.content;
  if (result.content.pages > pdfLimits.maxPages) {
    const max = pdfLimits.maxPages;
    read.problems.push({
      kind: 'too_large',
      message: `PDF“${read.entry.filename}”共 ${result.content.pages.toLocaleString('en-US')} 页，超过 ${max} 页的读取上限，只读取了前 ${max} 页，请删去多余页面后重新发送`,
    });
  }
  if (result.garbled) {
    read.problems.push({
      kind: 'unreadable',
      message: `PDF“${read.entry.filename}”中的文字无法正确提取（字体缺少编码信息），请另存为 Word 或重新导出 PDF 后发送`,
    });
  }
  if (result.pageImages.length > 0) {
    const seals = await Promise.all(result.pageImages.map((img) => detectRedSeal(img)));
    read.pdf.redSeal = seals.some(Boolean);
  }
}

async function readImageInto(read: DocumentRead, profile: ContestProfile): Promise<void> {
  const { entry } = read;
  const kw = profile.filenameKeywords;
  // Decoding a whole JPEG is only worth it where a truncated file matters: the logo (named so,
  // or small enough to be one).
  const checkTruncated =
    read.detectedType === 'jpeg' &&
    (nameHas(entry.filename, kw.logo) || entry.bytes <= 2 * profile.logo.maxBytes);
  const maxPixels = profile.limits.image.maxPixels;
  const image = await guarded(read, profile.limits.documentTimeoutMs, () =>
    readImage(entry.content, maxPixels, { checkTruncated }),
  );
  if (!image) return;
  if (isProblem(image)) {
    read.problems.push(image);
    return;
  }
  read.image = image;
  // Pixels are read for the seal only where a stamped scan is plausible.
  if (nameHas(entry.filename, [...kw.scan, ...kw.form]))
    image.redSeal = await detectRedSeal(entry.content, maxPixels);
}

async function readArchive(read: DocumentRead, ctx: Context): Promise<DocumentRead[]> {
  const { entry, detectedType } = read;
  const limits = ctx.profile.limits.archive;
  // One limit hit ends the unpacking of the whole attachment: a nested bomb gets one problem,
  // not one per copy it holds.
  if (ctx.budget.exhausted) return [];
  const name = entry.insideArchive ? `${entry.insideArchive} / ${entry.filename}` : entry.filename;
  if (ctx.depth + 1 > limits.maxDepth) {
    ctx.budget.exhausted = true;
    read.problems.push({
      kind: 'suspicious',
      message: `压缩包嵌套超过 ${limits.maxDepth} 层（${name}），未予解压，请直接发送附件`,
    });
    return [];
  }
  const unpack = detectedType === 'rar' ? unpackRar : unpackZip;
  const unpacked = await guarded(read, ctx.profile.limits.documentTimeoutMs, (signal) =>
    unpack(entry.content, name, limits, ctx.budget, signal),
  );
  if (!unpacked) return [];
  read.problems.push(...unpacked.problems);
  const inner: Context = { ...ctx, depth: ctx.depth + 1 };
  const reads: DocumentRead[] = [];
  for (const child of unpacked.entries) reads.push(...(await readEntry(child, inner)));
  return reads;
}

/**
 * Runs one reader step: a DocumentError becomes its problem, any other exception or running past
 * `ms` (when given) becomes 'unreadable'; returns undefined then. A timeout here stops the
 * waiting and aborts `signal`; a step that looks at it (an archive's unpacking) stops there, the
 * others run on: only the documents worker's readers can be stopped outright (worker.ts).
 */
async function guarded<T>(
  read: DocumentRead,
  ms: number | undefined,
  step: (signal: AbortSignal) => Promise<T>,
): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const stopped = new AbortController();
  const timeout = new Promise<never>((_, reject) => {
    if (ms === undefined) return;
    timer = setTimeout(() => {
      stopped.abort();
      reject(new DocumentError(timeoutProblem(read.entry.filename, ms)));
    }, ms);
  });
  try {
    return await Promise.race([step(stopped.signal), timeout]);
  } catch (err) {
    read.problems.push(
      err instanceof DocumentError
        ? err.problem
        : err instanceof ReadingTimeSpent
          ? timeSpent(read.entry.filename, err.allowedMs)
          : unreadable(read.entry.filename),
    );
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function timeSpent(filename: string, allowedMs: number): DocumentProblem {
  const s = Math.round(allowedMs / 1000);
  return {
    kind: 'unreadable',
    message: `附件“${filename}”未读取：本邮件的附件读取已超过 ${s} 秒的总时限（附件过多或过于复杂），需人工查看`,
  };
}

function timeoutProblem(filename: string, ms: number): DocumentProblem {
  return {
    kind: 'unreadable',
    message: `附件“${filename}”读取超过 ${Math.round(ms / 1000)} 秒仍未完成，无法打开，请检查文件后重新发送`,
  };
}

function unreadable(filename: string): DocumentProblem {
  return {
    kind: 'unreadable',
    message: `附件“${filename}”无法打开（文件可能已损坏或格式不受支持），请检查后重新发送`,
  };
}
