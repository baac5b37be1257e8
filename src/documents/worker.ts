// The documents worker: a worker thread (documents-worker.mjs) that reads PDFs (pdf.js) and Word
// files (mammoth, word-extractor) under a memory cap and a timeout that terminates it. These
// libraries run on the calling thread in Node, so nothing else could stop a hostile file that
// hangs one or eats memory (DESIGN.md §6); and in a thread of their own they leave the
// evaluation thread free to parse mail and run rules meanwhile (README, "Not met").
//
// One worker a process serves tasks one at a time and is replaced after a timeout or crash;
// `closeDocumentsWorker()` ends it at shutdown. Evaluation threads have none of their own: they
// relay their tasks to the main thread's worker over a MessagePort (`relayDocumentsTo`,
// `serveDocumentsRelay`), so a process compiles each library once, not once a thread.
import { type MessagePort, Worker } from 'node:worker_threads';
import type { DocumentProblem } from '../types.js';
import { DocumentError } from './problems.js';
import type { Block } from './word-content.js';

/** What documents-worker.mjs is asked to do; `data` moves to it. */
export type Task =
  | { kind: 'pdf'; data: ArrayBuffer; maxPages: number; renderPages: boolean; renderWidth: number }
  | { kind: 'docx'; data: ArrayBuffer }
  | { kind: 'doc'; data: ArrayBuffer };

export interface PdfResult {
  pages: number;
  parsedPages: number;
  imageOnlyPages: number;
  text: string;
  images: Uint8Array[];
}

/** Body blocks as the worker sends them: a table's cells are their text (see word-tree.mjs). */
export type RawBlock = Exclude<Block, { table: unknown }> | { table: string[][] };

export interface Results {
  pdf: PdfResult;
  docx: RawBlock[];
  /** word-extractor's body text. */
  doc: string;
}

export interface WorkerLimits {
  timeoutMs: number;
  maxMemoryMb: number;
}

/** A library's own error inside the worker (pdf.js's PasswordException, …), by name. */
export class TaskError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

// What the applicant is told when the worker had to be stopped.
const FAILURES: Record<
  Task['kind'],
  { timeout: (s: number) => string; memory: (mb: number) => string }
> = {
  pdf: {
    timeout: (s) => `PDF 解析超过 ${s} 秒仍未完成，已停止，请检查文件或另存为较小的 PDF 后重新发送`,
    memory: (mb) =>
      `PDF 文件过于复杂，解析时超出内存上限（${mb} MB），请另存为较小的 PDF 后重新发送`,
  },
  docx: {
    timeout: (s) =>
      `Word 文档读取超过 ${s} 秒仍未完成，已停止，请检查文件或另存为新的 .docx 后重新发送`,
    memory: (mb) =>
      `Word 文档过于复杂，读取时超出内存上限（${mb} MB），请删除多余内容后另存为新的 .docx 再发送`,
  },
  doc: {
    timeout: (s) => `Word 文档读取超过 ${s} 秒仍未完成，已停止，请另存为 .docx 后重新发送`,
    memory: (mb) => `Word 文档过于复杂，读取时超出内存上限（${mb} MB），请另存为 .docx 后重新发送`,
  },
};

type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };

const WORKER_URL = new URL('./documents-worker.mjs', import.meta.url);

let worker: Worker | null = null;
let workerMemoryMb = 0;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 1;

/**
 * Runs one task; tasks are served one after another. Each one's own run is limited to
 * `limits.timeoutMs`; waiting behind others is limited by theirs. Rejects with a DocumentError
 * when the worker had to be stopped, a TaskError when the library threw.
 */
export function runTask<K extends Task['kind']>(
  task: Extract<Task, { kind: K }>,
  limits: WorkerLimits,
): Promise<Results[K]> {
  if (relay) return relay(task, limits) as Promise<Results[K]>;
  return queued(task, limits) as Promise<Results[K]>;
}

function queued(task: Task, limits: WorkerLimits): Promise<unknown> {
  const run = queue.then(() => runInWorker(task, limits));
  queue = run.catch(() => undefined);
  return run;
}

export async function closeDocumentsWorker(): Promise<void> {
  const w = worker;
  worker = null;
  await w?.terminate();
}

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

function runInWorker(task: Task, limits: WorkerLimits): Promise<unknown> {
  const w = getWorker(limits.maxMemoryMb);
  const id = nextId++;
  const failure = FAILURES[task.kind];
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const stop = (problem: DocumentProblem) => {
      done();
      discardWorker(w);
      reject(new DocumentError(problem));
    };
    const timer = setTimeout(
      () =>
        stop({
          kind: 'unreadable',
          message: failure.timeout(Math.round(limits.timeoutMs / 1000)),
        }),
      limits.timeoutMs,
    );
    const onMessage = (reply: WorkerReply) => {
      if (reply.id !== id) return;
      done();
      if (reply.ok) resolve(reply.result);
      else reject(new TaskError(reply.error.name, reply.error.message));
    };
    // ERR_WORKER_OUT_OF_MEMORY and other crashes end the worker; the next task starts another.
    const onError = () => stop({ kind: 'too_large', message: failure.memory(limits.maxMemoryMb) });
    const onExit = () => {
      done();
      discardWorker(w);
      reject(new Error('documents worker exited'));
    };
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
    w.postMessage({ id, task }, [task.data]);
  });
}

// ── relay: an evaluation thread's tasks go to the main thread's worker ──────────────────────────

interface RelayRequest {
  id: number;
  task: Task;
  limits: WorkerLimits;
}

type RelayReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; problem?: DocumentProblem; error: { name: string; message: string } };

let relay: ((task: Task, limits: WorkerLimits) => Promise<unknown>) | null = null;

/** In an evaluation thread: from now on `runTask` asks the thread at the other end of `port`. */
export function relayDocumentsTo(port: MessagePort): void {
  const pending = new Map<number, (reply: RelayReply) => void>();
  let nextRelayId = 1;
  port.on('message', (reply: RelayReply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  port.unref(); // an idle thread must not be kept alive by it
  relay = (task, limits) =>
    new Promise((resolve, reject) => {
      const id = nextRelayId++;
      pending.set(id, (reply) => {
        if (reply.ok) resolve(reply.result);
        else if (reply.problem) reject(new DocumentError(reply.problem));
        else reject(new TaskError(reply.error.name, reply.error.message));
      });
      port.postMessage({ id, task, limits } satisfies RelayRequest, [task.data]);
    });
}

/** In the thread that owns the worker: answers a `relayDocumentsTo` thread on `port`. */
export function serveDocumentsRelay(port: MessagePort): void {
  port.on('message', ({ id, task, limits }: RelayRequest) => {
    queued(task, limits).then(
      (result) => port.postMessage({ id, ok: true, result } satisfies RelayReply, owned(result)),
      (err: unknown) => {
        const e = err as Error;
        port.postMessage({
          id,
          ok: false,
          problem: err instanceof DocumentError ? err.problem : undefined,
          error: { name: String(e?.name ?? 'Error'), message: String(e?.message ?? err) },
        } satisfies RelayReply);
      },
    );
  });
  port.unref();
}

/** A PDF's page pictures move on to the asking thread (each has a buffer of its own). */
function owned(result: unknown): ArrayBuffer[] {
  const images = (result as Partial<PdfResult>).images ?? [];
  return images
    .filter((p) => p.byteOffset === 0 && p.byteLength === p.buffer.byteLength)
    .map((p) => p.buffer as ArrayBuffer);
}
