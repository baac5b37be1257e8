// The documents worker: a worker thread (documents-worker.mjs) that reads PDFs (pdf.js) and Word
// files (mammoth, word-extractor) under a memory cap and a timeout that terminates it. These
// libraries run on the calling thread in Node, so nothing else could stop a hostile file that
// hangs one or eats memory (DESIGN.md §6); and in a thread of their own they leave the
// evaluation thread free to parse mail and run rules meanwhile (docs/performance.md,
// "documents worker").
//
// Each thread that reads documents (an evaluation thread; the main thread for `intake check`,
// `reprocess`, tests) starts one worker of its own on first use. It serves tasks one at a time
// and is replaced after a timeout or crash; `closeDocumentsWorker()` ends it, and it ends with
// its thread.
import { Worker } from 'node:worker_threads';
import { ownsMemory } from '../buffers.js';
import type { HeapCollected } from '../heap.mjs';
import type { DocumentProblem } from '../types.js';
import { DocumentError } from './problems.js';
import type { Block } from './word-content.js';

/** What documents-worker.mjs is asked to do; `data` moves to it. */
export type Task =
  | {
      kind: 'pdf';
      data: ArrayBuffer;
      maxPages: number;
      renderPages: boolean;
      renderWidth: number;
      maxImagePixels: number;
    }
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

/**
 * One message's reading here. Tasks that share a clock are one message's (`runTask`): `ms` is
 * the running total of the time they ran, waiting behind other messages' tasks not counted; a
 * task whose turn comes once it has reached `allowedMs` is not run (ReadingTimeSpent).
 */
export interface MessageClock {
  ms: number;
  allowedMs?: number;
}

export interface WorkerLimits {
  timeoutMs: number;
  maxMemoryMb: number;
  clock?: MessageClock;
}

/** A task not run: its message's files had already run for their `allowedMs` together. */
export class ReadingTimeSpent extends Error {
  override name = 'ReadingTimeSpent';
  constructor(readonly allowedMs: number) {
    super(`the message's files have run for ${allowedMs} ms together`);
  }
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

// What the applicant is told when the worker had to be stopped, or ended by itself: out of its
// memory cap, or by an error its reader threw where no task could catch it (a reader's fault,
// so a person looks rather than the applicant being told to mend the file).
export const FAILURES: Record<
  Task['kind'],
  { timeout: (s: number) => string; memory: (mb: number) => string; crash: string }
> = {
  pdf: {
    timeout: (s) => `PDF 解析超过 ${s} 秒仍未完成，已停止，请检查文件或另存为较小的 PDF 后重新发送`,
    memory: (mb) =>
      `PDF 文件过于复杂，解析时超出内存上限（${mb} MB），请另存为较小的 PDF 后重新发送`,
    crash: 'PDF 解析程序读取此文件时出错，未能读取，需人工查看',
  },
  docx: {
    timeout: (s) =>
      `Word 文档读取超过 ${s} 秒仍未完成，已停止，请检查文件或另存为新的 .docx 后重新发送`,
    memory: (mb) =>
      `Word 文档过于复杂，读取时超出内存上限（${mb} MB），请删除多余内容后另存为新的 .docx 再发送`,
    crash: 'Word 读取程序读取此文件时出错，未能读取，需人工查看',
  },
  doc: {
    timeout: (s) => `Word 文档读取超过 ${s} 秒仍未完成，已停止，请另存为 .docx 后重新发送`,
    memory: (mb) => `Word 文档过于复杂，读取时超出内存上限（${mb} MB），请另存为 .docx 后重新发送`,
    crash: 'Word 读取程序读取此文件时出错，未能读取，需人工查看',
  },
};

type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };

const WORKER_URL = new URL('./documents-worker.mjs', import.meta.url);
let workerUrl = WORKER_URL;

/** The worker's entry module from now on; tests substitute one that crashes. */
export function useDocumentsWorkerEntry(url = WORKER_URL): void {
  workerUrl = url;
  if (worker) discardWorker(worker);
}

let worker: Worker | null = null;
let workerMemoryMb = 0;
let nextId = 1;
/** Tasks not yet started; one runs at a time (`serveNext`). */
const waiting: {
  order: number;
  clock?: MessageClock;
  timeoutMs: number;
  run: () => Promise<void>;
}[] = [];
let serving = false;
/** Each message's place in line, by its clock: the order in which its first task came. */
const messageOrder = new WeakMap<MessageClock, number>();
let nextOrder = 1;

/**
 * The bytes of `buf` for a task. With `handOver` (the caller is done with `buf`, and with any
 * write of it) its own memory moves to the worker and `buf` is left empty; a pooled Buffer
 * shares its slab with others, and a caller may still need its bytes, so otherwise a copy moves.
 */
export function taskBytes(buf: Buffer, handOver = false): ArrayBuffer {
  return handOver && ownsMemory(buf) ? (buf.buffer as ArrayBuffer) : new Uint8Array(buf).buffer;
}

/**
 * Runs one task. Tasks are served one after another, a message's together: those of the message
 * whose first task came first go first (a task without a clock is a message of its own). An
 * evaluation thread asks for a message's files all at once (src/documents/index.ts) and has
 * several messages in hand: served in turn, they all finished their reading at about the same
 * time, the thread idle meanwhile (docs/performance.md, "waiting on others"). A message whose
 * files have run for a timeout together goes to the back of the line after each further file:
 * a slow (or hostile) message does not hold up the others for the whole of its `allowedMs`. Once
 * that is spent it keeps its place: its files left are refused at once, and waiting behind
 * others' reading for that would only keep it in hand longer.
 *
 * Each task's own run is limited to `limits.timeoutMs`; waiting behind others is limited by
 * theirs, and by their messages' `allowedMs`. Rejects with a DocumentError when the worker had to
 * be stopped, a TaskError when the library threw, ReadingTimeSpent when it was not run.
 */
export function runTask<K extends Task['kind']>(
  task: Extract<Task, { kind: K }>,
  limits: WorkerLimits,
): Promise<Results[K]> {
  const { clock } = limits;
  let order = clock && messageOrder.get(clock);
  if (order === undefined) {
    order = nextOrder++;
    if (clock) messageOrder.set(clock, order);
  }
  const start = async () => {
    if (clock?.allowedMs !== undefined && clock.ms >= clock.allowedMs) {
      throw new ReadingTimeSpent(clock.allowedMs);
    }
    return (await runInWorker(task, limits)) as Results[K];
  };
  return new Promise((resolve, reject) => {
    waiting.push({
      order,
      clock,
      timeoutMs: limits.timeoutMs,
      run: () => start().then(resolve, reject),
    });
    serveNext();
  });
}

function serveNext() {
  if (serving) return;
  let first = 0;
  for (let i = 1; i < waiting.length; i++) {
    if ((waiting[i]?.order ?? 0) < (waiting[first]?.order ?? 0)) first = i;
  }
  const [next] = waiting.splice(first, 1);
  if (!next) return;
  serving = true;
  // run() settles the task's own promise and never rejects.
  void next.run().then(() => {
    serving = false;
    const { clock } = next;
    const spent = clock?.allowedMs !== undefined && clock.ms >= clock.allowedMs;
    if (clock && clock.ms >= next.timeoutMs && !spent) {
      const back = nextOrder++;
      messageOrder.set(clock, back);
      for (const w of waiting) if (w.clock === clock) w.order = back;
    }
    serveNext();
  });
}

/**
 * Asks this thread's worker, if it has one, for a full collection of its heap, for a service
 * gone idle (src/evaluate-pool.ts). At work the worker's heap watch collects it rarely: a
 * collection costs its libraries' compiled code. Resolves to its heap before and after, or null
 * when there is no worker (or it ended first).
 */
export function collectDocumentsWorker(): Promise<HeapCollected | null> {
  const w = worker;
  if (!w) return Promise.resolve(null);
  return new Promise((resolve) => {
    // A task's reply has an id and no `collected`: its own listener takes it (runInWorker).
    const onMessage = (said: { collected?: HeapCollected }) => {
      if (said.collected) answer(said.collected);
    };
    const answer = (collected: HeapCollected | null) => {
      w.off('message', onMessage).off('exit', onExit);
      resolve(collected);
    };
    const onExit = () => answer(null);
    w.on('message', onMessage).on('exit', onExit);
    w.postMessage({ collect: true });
  });
}

export async function closeDocumentsWorker(): Promise<void> {
  const w = worker;
  worker = null;
  await w?.terminate();
}

function getWorker(maxMemoryMb: number): Worker {
  if (worker && workerMemoryMb === maxMemoryMb) return worker;
  void worker?.terminate();
  worker = new Worker(workerUrl, {
    // Not the parent's flags: under `node --import tsx` (tests, scripts) they load tsx's loader
    // into this thread too, 170 MB of RSS instead of 60 (issue 7), and the worker is plain .mjs.
    // Filtering is no option: an explicit list with a V8 flag (--expose-gc) throws here.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb, maxYoungGenerationSizeMb: 32 },
  });
  // An idle worker must not keep its thread (a CLI run, a test) alive.
  worker.unref();
  // Between tasks too: an 'error' with no listener would end the process, and a worker that
  // died must not be handed the next task (during one, runInWorker's own listeners report it).
  const w = worker;
  w.on('error', () => discardWorker(w)).on('exit', () => discardWorker(w));
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
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // A task stopped by its timeout is charged the whole timeout: libuv's timer may fire a
    // fraction of a millisecond before performance.now() says it is due.
    const done = (atLeastMs = 0) => {
      if (limits.clock) limits.clock.ms += Math.max(performance.now() - started, atLeastMs);
      clearTimeout(timer);
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const stop = (problem: DocumentProblem, atLeastMs = 0) => {
      done(atLeastMs);
      discardWorker(w);
      reject(new DocumentError(problem));
    };
    const timer = setTimeout(
      () =>
        stop(
          { kind: 'unreadable', message: failure.timeout(Math.round(limits.timeoutMs / 1000)) },
          limits.timeoutMs,
        ),
      limits.timeoutMs,
    );
    const onMessage = (reply: WorkerReply) => {
      if (reply.id !== id) return;
      done();
      if (reply.ok) resolve(reply.result);
      else reject(new TaskError(reply.error.name, reply.error.message));
    };
    // Running out of its memory cap, or an error thrown outside any task's reach, ends the
    // worker; the next task starts another.
    const onError = (err: Error) =>
      stop(
        (err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { kind: 'too_large', message: failure.memory(limits.maxMemoryMb) }
          : { kind: 'unreadable', message: failure.crash },
      );
    const onExit = () => {
      done();
      discardWorker(w);
      reject(new Error('documents worker exited'));
    };
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
    try {
      w.postMessage({ id, task }, [task.data]);
    } catch (err) {
      // Not sent (the bytes could not be moved): no timer or listener may outlive this task.
      done();
      reject(err);
    }
  });
}
