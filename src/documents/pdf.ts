// Reads PDFs in a worker thread (pdf-worker.mjs) with a memory cap and a timeout that
// terminates it. One worker serves requests one at a time and is replaced after a timeout or
// crash; `closePdfWorkers()` ends it at shutdown. The evaluation threads have none of their own:
// they relay their PDFs to the main thread's worker over a MessagePort (`relayPdfsTo`,
// `servePdfRelay`), so a process holds one pdf.js, not one per thread.
import { type MessagePort, Worker } from 'node:worker_threads';
import type { ContestProfile } from '../config/contest.js';
import type { DocumentProblem, PdfContent } from '../types.js';
import { DocumentError } from './problems.js';

export type PdfLimits = ContestProfile['limits']['pdf'];

export interface PdfRead {
  content: PdfContent;
  /** First and last page pictures for seal detection: PNG renderings, or a pure scan's own JPEGs. */
  pageImages: Buffer[];
  /** The text layer decodes to mojibake (a font without a Unicode map); `content.text` is ''. */
  garbled: boolean;
}

interface WorkerResult {
  pages: number;
  parsedPages: number;
  imageOnlyPages: number;
  text: string;
  images: Uint8Array[];
}

type Reply =
  | { id: number; ok: true; result: WorkerResult }
  | { id: number; ok: false; error: { name: string; message: string } };

const WORKER_URL = new URL('./pdf-worker.mjs', import.meta.url);
// Wide enough for a 4 cm seal on an A4 page to cover a few thousand pixels.
const RENDER_WIDTH = 400;

let worker: Worker | null = null;
let workerMemoryMb = 0;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 1;

function getWorker(maxMemoryMb: number): Worker {
  if (worker && workerMemoryMb === maxMemoryMb) return worker;
  void worker?.terminate();
  worker = new Worker(WORKER_URL, {
    // Not the parent's flags: under `node --import tsx` (tests, scripts) they load tsx's loader
    // into this thread too, 170 MB of RSS instead of 60 (issue 7), and the worker is plain .mjs.
    // Filtering is no option: an explicit list with a V8 flag (--expose-gc) throws here.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb, maxYoungGenerationSizeMb: 32 },
  });
  // An idle worker must not keep the process (a CLI run, a test) alive.
  worker.unref();
  workerMemoryMb = maxMemoryMb;
  return worker;
}

function discardWorker(w: Worker) {
  if (worker === w) worker = null;
  void w.terminate();
}

export async function closePdfWorkers(): Promise<void> {
  const w = worker;
  worker = null;
  await w?.terminate();
}

/**
 * Parses one PDF; requests are served one after another by the shared worker. Each one's own run
 * is limited to `limits.timeoutMs`; waiting behind others is limited by theirs.
 */
export function readPdf(
  buf: Buffer,
  limits: PdfLimits,
  opts: {
    renderPages?: boolean;
    /** The caller is done with `buf`: its memory may move to the worker, leaving it empty. */
    handOver?: boolean;
  } = {},
): Promise<PdfRead> {
  // Only memory the Buffer has to itself moves; a pooled Buffer shares its slab with others, so
  // a copy moves instead (as it does when the caller still needs the bytes).
  const own = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength;
  const data = opts.handOver && own ? (buf.buffer as ArrayBuffer) : new Uint8Array(buf).buffer;
  if (relay) return relay.send(data, limits, opts.renderPages ?? false);
  return queued(data, limits, opts.renderPages ?? false);
}

function queued(data: ArrayBuffer, limits: PdfLimits, renderPages: boolean): Promise<PdfRead> {
  const run = queue.then(() => runInWorker(data, limits, renderPages));
  queue = run.catch(() => undefined);
  return run;
}

// ── relay: an evaluation thread's PDFs go to the main thread's worker ──────────────────────────

interface RelayRequest {
  id: number;
  data: ArrayBuffer;
  limits: PdfLimits;
  renderPages: boolean;
}

type RelayReply =
  | { id: number; ok: true; read: PdfRead }
  | { id: number; ok: false; problem?: DocumentProblem; message: string };

let relay: { send: typeof queued } | null = null;

/** In an evaluation thread: from now on `readPdf` asks the thread at the other end of `port`. */
export function relayPdfsTo(port: MessagePort): void {
  const pending = new Map<number, (reply: RelayReply) => void>();
  let nextRelayId = 1;
  port.on('message', (reply: RelayReply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  port.unref(); // an idle thread must not be kept alive by it
  relay = {
    send: (data, limits, renderPages) =>
      new Promise((resolve, reject) => {
        const id = nextRelayId++;
        pending.set(id, (reply) => {
          if (!reply.ok) {
            reject(reply.problem ? new DocumentError(reply.problem) : new Error(reply.message));
            return;
          }
          // Buffers arrive as plain Uint8Arrays.
          const images = reply.read.pageImages.map((p) =>
            Buffer.from(p.buffer, p.byteOffset, p.length),
          );
          resolve({ ...reply.read, pageImages: images });
        });
        const request: RelayRequest = { id, data, limits, renderPages };
        port.postMessage(request, [data]);
      }),
  };
}

/** In the thread that owns the PDF worker: answers a `relayPdfsTo` thread on `port`. */
export function servePdfRelay(port: MessagePort): void {
  port.on('message', (req: RelayRequest) => {
    queued(req.data, req.limits, req.renderPages).then(
      (read) =>
        port.postMessage({ id: req.id, ok: true, read } satisfies RelayReply, ownedBuffers(read)),
      (err: unknown) =>
        port.postMessage({
          id: req.id,
          ok: false,
          problem: err instanceof DocumentError ? err.problem : undefined,
          message: String((err as Error)?.message ?? err),
        } satisfies RelayReply),
    );
  });
  port.unref();
}

/** The page pictures' memory, moved to the asking thread (each picture has a buffer of its own). */
function ownedBuffers(read: PdfRead): ArrayBuffer[] {
  return read.pageImages
    .filter((p) => p.byteOffset === 0 && p.byteLength === p.buffer.byteLength)
    .map((p) => p.buffer as ArrayBuffer);
}

// ── the worker ───────────────────────────────────────────────────────────────────────────────

function runInWorker(data: ArrayBuffer, limits: PdfLimits, renderPages: boolean): Promise<PdfRead> {
  const w = getWorker(limits.maxMemoryMb);
  const id = nextId++;
  return new Promise<PdfRead>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      discardWorker(w);
      reject(
        new DocumentError({
          kind: 'unreadable',
          message: `PDF 解析超过 ${Math.round(limits.timeoutMs / 1000)} 秒仍未完成，已停止，请检查文件或另存为较小的 PDF 后重新发送`,
        }),
      );
    }, limits.timeoutMs);
    const onMessage = (reply: Reply) => {
      if (reply.id !== id) return;
      done();
      if (reply.ok) resolve(toRead(reply.result));
      else reject(problemOf(reply.error));
    };
    // ERR_WORKER_OUT_OF_MEMORY and other crashes end the worker; the next call starts another.
    const onError = () => {
      done();
      discardWorker(w);
      reject(
        new DocumentError({
          kind: 'too_large',
          message: `PDF 文件过于复杂，解析时超出内存上限（${limits.maxMemoryMb} MB），请另存为较小的 PDF 后重新发送`,
        }),
      );
    };
    const onExit = () => {
      done();
      discardWorker(w);
      reject(new Error('pdf worker exited'));
    };
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
    w.postMessage({ id, data, maxPages: limits.maxPages, renderPages, renderWidth: RENDER_WIDTH }, [
      data,
    ]);
  });
}

function toRead(r: WorkerResult): PdfRead {
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

function problemOf(error: { name: string; message: string }): DocumentError | Error {
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
  return new Error(`${error.name}: ${error.message}`);
}
