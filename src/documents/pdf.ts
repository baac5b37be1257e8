// Reads PDFs in the documents worker (worker.ts, pdf-text.mjs): the text, the pages that are
// scans, and the first and last page pictures for the seal check.
import type { ContestProfile } from '../config/contest.js';
import type { PdfContent } from '../types.js';
import { DocumentError } from './problems.js';
import {
  FAILURES,
  type PdfResult,
  runTask,
  TaskError,
  taskBytes,
  type WorkerLimits,
} from './worker.js';

export type PdfLimits = ContestProfile['limits']['pdf'];

export interface PdfRead {
  content: PdfContent;
  /** First and last page pictures for seal detection: PNG renderings, or a pure scan's own JPEGs. */
  pageImages: Buffer[];
  /** The text layer decodes to mojibake (a font without a Unicode map); `content.text` is ''. */
  garbled: boolean;
}

// Wide enough for a 4 cm seal on an A4 page to cover a few thousand pixels.
const RENDER_WIDTH = 400;

/**
 * Parses one PDF in the documents worker, its run limited to `limits.timeoutMs` (time queued
 * behind other files is not counted).
 */
export async function readPdf(
  buf: Buffer,
  limits: PdfLimits,
  opts: {
    renderPages?: boolean;
    /** The caller is done with `buf`: its memory may move to the worker, leaving it empty. */
    handOver?: boolean;
    /** A picture larger than this is left out of a page's render (`limits.image.maxPixels`). */
    maxImagePixels?: number;
    /** The message's reading time, added to (WorkerLimits.clock). */
    clock?: WorkerLimits['clock'];
  } = {},
): Promise<PdfRead> {
  const task = {
    kind: 'pdf' as const,
    data: taskBytes(buf, opts.handOver),
    maxPages: limits.maxPages,
    renderPages: opts.renderPages ?? false,
    renderWidth: RENDER_WIDTH,
    maxImagePixels: opts.maxImagePixels ?? -1, // pdf.js: no limit
  };
  try {
    return toRead(await runTask(task, { ...limits, clock: opts.clock }));
  } catch (err) {
    throw err instanceof TaskError ? problemOf(err, limits) : err;
  }
}

function toRead(r: PdfResult): PdfRead {
  const garbled = isGarbled(r.text);
  return {
    content: { pages: r.pages, imageOnlyPages: r.imageOnlyPages, text: garbled ? '' : r.text },
    pageImages: r.images.map((img) => Buffer.from(img.buffer, img.byteOffset, img.byteLength)),
    garbled,
  };
}

/**
 * A font without a ToUnicode map yields its raw GBK codes as Latin-1 letters ("¹ØÓÚºì¾ü" for
 * 关于红军, pdf.js issue with XiaoBiaoSong.pdf). Such text is noise: counting it would be wrong.
 */
export function isGarbled(text: string): boolean {
  const latin1 = text.match(/[\u00a1-\u00ff]/g)?.length ?? 0;
  const cjk = text.match(/[\u3400-\u9fff]/g)?.length ?? 0;
  return latin1 >= 20 && latin1 > cjk * 2;
}

function problemOf(error: TaskError, limits: PdfLimits): Error {
  if (error.name === 'DecodedTooLarge') {
    return new DocumentError({
      kind: 'too_large',
      message: FAILURES.pdf.memory(limits.maxMemoryMb),
    });
  }
  if (error.name === 'PasswordException') {
    return new DocumentError({
      kind: 'encrypted',
      message: 'PDF 文件设置了密码，无法打开，请去掉密码后重新发送',
    });
  }
  if (error.name === 'InvalidPDFException' || error.name === 'FormatError') {
    return new DocumentError({
      kind: 'unreadable',
      message: 'PDF 文件已损坏或格式无效，无法打开，请重新导出后发送',
    });
  }
  return error;
}
