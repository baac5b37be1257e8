// A pool of worker threads that runs the evaluator (src/evaluator.ts) off the main thread. The
// service has one JavaScript thread: mailparser, mammoth and the rules of one message would
// otherwise hold up every other message and the IMAP/Redis/database work. Threads, not
// processes: `intake start` is one process (DESIGN.md §4). Only types come from evaluator.ts,
// so the main thread does not load the validation core; `evaluateHere` (the end of this file)
// loads it for callers that evaluate in their own thread, on their first call.
import { Worker } from 'node:worker_threads';
import type { ContestProfile } from './config/contest.js';
import type {
  Collect,
  Collected,
  EvalTimings,
  Evaluate,
  Evaluation,
  EvaluatorDeps,
  Job,
  Reply,
  Reread,
  StoredMessage,
  ThreadData,
  ThreadHello,
} from './evaluator.js';
import { collectGarbage } from './heap.mjs';
import type { Logger } from './log.js';
import { BACKGROUND_NICE_STEPS, favourThreads, osThreadId } from './thread-priority.js';
import type { ParsedMail } from './types.js';

export interface EvaluatePool {
  evaluate: Evaluate;
  /** The dashboard's read of a stored message, on a pool thread (evaluator.ts, `rereadMessage`). */
  reread(stored: StoredMessage): Promise<Reread>;
  /**
   * Starts every thread now: loading the code takes a thread over a second of CPU, which the
   * first messages would otherwise wait for. Without it threads start on first use.
   */
  warm(): void;
  /** Ends every thread; queued and running evaluations fail. */
  close(): Promise<void>;
}

export interface EvaluatePoolOptions {
  blobDir: string;
  profile: ContestProfile;
  ownAddresses?: string[];
  /** Threads; the caller caps it at the cores (more threads than cores only adds memory). */
  size: number;
  /** A thread still busy after this long is terminated and replaced; its job fails, retryably. */
  timeoutMs?: number;
  /** Evaluations a thread runs at once (default JOBS_PER_THREAD). */
  jobsPerThread?: number;
  /** Idle this long, every thread's heap is collected once (default IDLE_COLLECT_MS). */
  idleCollectMs?: number;
  /** The thread's entry module; tests substitute one that crashes. */
  entry?: URL;
  log?: Logger;
}

// Built (dist/, `npm start`) a thread runs plain JavaScript; from source (tests, `npx intake`) it
// needs tsx, which costs every thread a loader thread of its own (~30 MB).
const DEFAULT_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./evaluate-thread-tsx.mjs', import.meta.url)
  : new URL('./evaluate-thread.js', import.meta.url);
// Far above any real message (each document has its own 20 s limit), far below "stuck forever".
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** Evaluations a thread runs at once when the caller does not say. */
const JOBS_PER_THREAD = 2;
/** Evaluations in flight per core (`poolShape`). */
const JOBS_PER_CORE = 3;
/**
 * After a burst, the pool idle this long collects every heap once: each thread's, its documents
 * worker's and this thread's. At work they are collected rarely (a full collection costs the
 * libraries' compiled code: docs/performance.md, "recompiling"), so they end a burst holding
 * garbage up to four times what they keep alive, and the next big message came on top of it: in
 * 600-message benches the 30 MB case after the full load peaked at 376–388 MB instead of 401.
 * Messages a second apart (the bench's light load) never leave it idle that long; a trickle
 * slower than that pays a collection a message, when the machine has time for it.
 */
const IDLE_COLLECT_MS = 3_000;

/**
 * The pool for a number of cores: a thread per two cores, and three evaluations in flight per
 * core, shared out over the threads (six on one thread on 2 cores).
 * - One thread per two cores: a message's JavaScript is about half its CPU, and the rest runs
 *   beside the thread (V8 compiling and marking on its helper threads, libvips, the thread's
 *   documents worker, libuv, the main thread). Every thread more is a V8 heap and a compiler of
 *   its own: each compiles the core for itself, and again after a full collection drops
 *   optimised code that no live closure holds (docs/performance.md, "recompiling").
 * - Several evaluations on a thread: each waits now and then (the documents worker, libvips, the
 *   disk), and the others fill those gaps.
 * Measured on 2 cores only (issue 7's bench); for more cores the rule is that proportion.
 */
export function poolShape(cores: number): { threads: number; jobsPerThread: number } {
  const n = Math.max(1, Math.floor(cores));
  const threads = Math.max(1, Math.round(n / 2));
  return { threads, jobsPerThread: Math.ceil((n * JOBS_PER_CORE) / threads) };
}

type Done = Extract<Reply, { ok: true }>;

interface Task {
  job: Job;
  /** Given the thread's answer. */
  resolve(reply: Done): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker | null;
  /** Jobs the thread is evaluating now. */
  running: number;
  /** The thread's id in the kernel, once it has said (`ThreadHello`). */
  tid?: number;
}

/** How often the pool lowers threads started since (libvips's, a documents worker's). */
const FAVOUR_EVERY_MS = 2_000;

/** A thread's trouble, not the message's: the job fails and is retried (attempts are counted). */
export class EvaluateThreadError extends Error {
  override name = 'EvaluateThreadError';
}

export function createEvaluatePool(opts: EvaluatePoolOptions): EvaluatePool {
  const size = Math.max(1, Math.floor(opts.size));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const data: ThreadData = {
    blobDir: opts.blobDir,
    profile: opts.profile,
    ownAddresses: opts.ownAddresses,
  };
  const perThread = Math.max(1, Math.floor(opts.jobsPerThread ?? JOBS_PER_THREAD));
  const idleCollectMs = opts.idleCollectMs ?? IDLE_COLLECT_MS;
  const slots: Slot[] = Array.from({ length: size }, () => ({ worker: null, running: 0 }));
  const waiting: Task[] = [];
  let nextId = 1;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;
  // This thread starts the evaluation threads, which inherit its priority: it keeps its own. One
  // pool to a process (the service makes one): a second pool's sweep would lower this one's.
  const creator = osThreadId();
  const favour = () => {
    // A thread that has not said its id yet would be lowered with the rest, for good (a process
    // may lower its threads, not raise them back).
    if (creator === undefined || slots.some((s) => s.worker && s.tid === undefined)) return 0;
    const tids = slots.flatMap((s) => (s.tid ? [s.tid] : []));
    return tids.length > 0 ? favourThreads([creator, ...tids]) : 0;
  };
  const favouring = setInterval(favour, FAVOUR_EVERY_MS).unref();

  function spawn(slot: Slot): Worker {
    const w = new Worker(opts.entry ?? DEFAULT_ENTRY, {
      workerData: data,
      // No resourceLimits for the young generation: `npm start`'s --max-semi-space-size=4 is a
      // V8 flag, and V8's flags are the process's, so these threads get a 4 MB semi-space too
      // and a limit here would be ignored (docs/performance.md, "memory").
    });
    // Each running job listens for its reply and for the thread's exit (`run`), beside the
    // listeners here: ten jobs on a thread are no leak, whatever Node's default limit says.
    w.setMaxListeners(perThread + 1);
    // A crash between jobs (nobody listening) must not become the process's uncaught error.
    w.on('error', (err) => opts.log?.warn({ err }, 'evaluation thread failed'));
    w.on('exit', () => {
      if (slot.worker === w) Object.assign(slot, { worker: null, tid: undefined });
    });
    w.on('message', (said: Partial<ThreadHello & Collected>) => {
      if (said.collected)
        opts.log?.info({ thread: w.threadId, heapMb: said.collected }, 'idle: heaps collected');
      // The thread says its kernel id first: from then on the rest of the process yields to it.
      if (said.tid === undefined || slot.worker !== w) return;
      slot.tid = said.tid;
      // Once a thread: someone reading `top -H` should know why most threads show a nice value.
      const lowered = favour();
      opts.log?.info(
        { tid: said.tid, lowered, niceSteps: BACKGROUND_NICE_STEPS },
        "evaluation thread started; the process's other threads run at a lower priority",
      );
    });
    // An idle thread must not keep a CLI run or a test alive; `run` refs it while busy.
    if (slot.running === 0) w.unref();
    slot.worker = w;
    return w;
  }

  function dispatch() {
    // The least busy thread first, so two jobs share a thread only when every thread has one.
    for (;;) {
      const slot = slots.reduce((a, b) => (b.running < a.running ? b : a));
      if (slot.running >= perThread || waiting.length === 0) return;
      run(slot, waiting.shift() as Task);
    }
  }

  /** Once nothing runs or waits: `IDLE_COLLECT_MS` later, unless work came meanwhile. */
  function collectWhenIdle() {
    clearTimeout(idleTimer);
    const idle = () => waiting.length === 0 && slots.every((s) => s.running === 0);
    if (closed || idleCollectMs <= 0 || !idle()) return;
    idleTimer = setTimeout(() => {
      if (!idle()) return;
      for (const s of slots) s.worker?.postMessage({ collect: true } satisfies Collect);
      opts.log?.info({ heapMb: collectGarbage() }, "idle: the main thread's heap collected");
    }, idleCollectMs).unref();
  }

  function run(slot: Slot, task: Task) {
    clearTimeout(idleTimer);
    slot.running++;
    const w = slot.worker ?? spawn(slot);
    w.ref();
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      w.off('message', onMessage).off('exit', onExit);
      slot.running--;
      // Idle again: it must not keep a CLI run or a test alive.
      if (slot.worker === w && slot.running === 0) w.unref();
      outcome();
      dispatch();
      collectWhenIdle();
    };
    const discard = () => {
      if (slot.worker === w) Object.assign(slot, { worker: null, tid: undefined });
      void w.terminate();
    };
    const timer = setTimeout(() => {
      discard();
      finish(() =>
        task.reject(
          new EvaluateThreadError(`evaluation exceeded ${timeoutMs} ms; thread replaced`),
        ),
      );
    }, timeoutMs);
    const onMessage = (reply: Reply) => {
      if (reply.id !== task.job.id) return;
      finish(() => (reply.ok ? task.resolve(reply) : task.reject(toError(reply.error))));
    };
    const onExit = (code: number) => {
      discard();
      finish(() =>
        task.reject(
          new EvaluateThreadError(`evaluation thread exited (code ${code}); thread replaced`),
        ),
      );
    };
    w.on('message', onMessage).on('exit', onExit);
    w.postMessage(task.job);
  }

  function submit<T>(stored: StoredMessage, reread: boolean, take: (reply: Done) => T) {
    if (closed) return Promise.reject(new EvaluateThreadError('evaluation pool is closed'));
    return new Promise<T>((resolve, reject) => {
      const job = { id: nextId++, ...stored, reread };
      const answer = (reply: Done) => {
        try {
          resolve(take(reply));
        } catch (err) {
          reject(err as Error);
        }
      };
      waiting.push({ job, resolve: answer, reject });
      dispatch();
    });
  }

  return {
    evaluate: (stored, timings) => submit(stored, false, (reply) => toEvaluation(reply, timings)),
    reread: (stored) =>
      submit(stored, true, (reply) => {
        if (!('reread' in reply)) throw new Error('evaluation thread answered the wrong job');
        return reply.reread;
      }),
    warm() {
      if (closed) return;
      for (const slot of slots) if (!slot.worker) spawn(slot);
    },
    async close() {
      closed = true;
      clearInterval(favouring);
      clearTimeout(idleTimer);
      for (const task of waiting.splice(0))
        task.reject(new EvaluateThreadError('evaluation pool closed'));
      await Promise.all(slots.map((s) => s.worker?.terminate()));
    },
  };
}

function toEvaluation(reply: Done, timings?: EvalTimings): Evaluation {
  if (!('result' in reply)) throw new Error('evaluation thread answered the wrong job');
  if (timings) Object.assign(timings, reply.timings);
  const mail: ParsedMail = {
    ...reply.mail,
    attachments: reply.mail.attachments.map((a) => ({ ...a, content: Buffer.alloc(0) })),
  };
  return { result: reply.result, mail, threadId: reply.threadId, loop: reply.loop };
}

/** Keeps name, message and code so `isOutage` still sees a full disk as an outage. */
function toError(e: { name: string; message: string; code?: unknown }): Error {
  const err = new Error(e.message) as Error & { code?: unknown };
  err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  return err;
}

type HereEvaluate = ReturnType<typeof import('./evaluator.js').createEvaluator>;

/**
 * The evaluator in the calling thread (`reprocess`, the dashboard, a pipeline without a pool),
 * with the validation core imported on the first call, not when this is created: a dashboard
 * that never re-evaluates never loads mailparser, mammoth or sharp.
 */
export function evaluateHere(deps: EvaluatorDeps): HereEvaluate {
  let evaluator: Promise<HereEvaluate> | undefined;
  return async (stored, timings) => {
    evaluator ??= import('./evaluator.js').then(({ createEvaluator }) => createEvaluator(deps));
    return (await evaluator)(stored, timings);
  };
}
