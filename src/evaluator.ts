// The evaluator: blob read → validateMessage, and the loop that serves it inside an
// evaluation thread (src/evaluate-pool.ts starts the threads; evaluate-thread.ts is their entry).
// Only threads and in-process callers (`intake reprocess`, tests) load this module and with it the
// validation core: the service's main thread never does (the dashboard's reads, `rereadMessage`,
// run on the pool's threads too).
import { performance } from 'node:perf_hooks';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { release } from './buffers.js';
import type { ContestProfile } from './config/contest.js';
import { collectDocumentsWorker, type StoreFile } from './documents/index.js';
import { collectGarbage, type HeapCollected } from './heap.mjs';
import { type BlobStore, createBlobStore } from './store/blobs.js';
import type { ReceivedAtSource } from './store/schema.js';
import { receivedAtDoubt } from './submission/time.js';
import { osThreadId } from './thread-priority.js';
import type { CheckResult, ParsedMail, Submission } from './types.js';
import { type StageTimings, validateMessage } from './validate.js';

export type EvalTimings = StageTimings & { load?: number };

export interface StoredMessage {
  sha256: string;
  receivedAt: Date;
  /** Where receivedAt came from; absent: a server recorded it. */
  receivedAtSource?: ReceivedAtSource;
}

/** What the pipeline needs of a validation: the result and the mail without attachment bytes. */
export interface Evaluation {
  result: CheckResult;
  /** Attachment entries are kept (counts matter to the reply guard) with empty contents. */
  mail: ParsedMail;
  /** The thread that evaluated it (the main thread's id, 0, when run in-process). */
  threadId: number;
  /** That thread's event loop so far (absent in-process); the bench reads it from the log. */
  loop?: ThreadLoop;
}

/**
 * A thread's event loop since it started (Node's eventLoopUtilization), in ms: `active` running
 * callbacks, `idle` waiting for work. A thread whose loop is nearly always active has no gaps
 * for more jobs to fill; if its CPU time is much less, it waits inside its callbacks (preempted
 * by other threads, or on a lock), not on I/O.
 */
export interface ThreadLoop {
  active: number;
  idle: number;
}

export type Evaluate = (stored: StoredMessage, timings?: EvalTimings) => Promise<Evaluation>;

/**
 * The validation core on a stored message. Runs in the calling thread: `reprocess` and the pool's
 * threads share it. The files are kept only in the raw message: writing each out again cost the
 * service ~13 % of its CPU (docs/performance.md, "files on first use"); the dashboard has a
 * message's files written out when one is first asked for (`rereadMessage`).
 */
export interface EvaluatorDeps {
  blobs: BlobStore;
  profile: ContestProfile;
  ownAddresses?: string[];
}

export function createEvaluator(deps: EvaluatorDeps) {
  return async (stored: StoredMessage, timings: EvalTimings = {}, store?: StoreFile) => {
    const started = Date.now();
    // Read in pieces as it is parsed: the thread never holds the whole raw message.
    const raw = await deps.blobs.source(stored.sha256);
    timings.load = Date.now() - started;
    return validateMessage(raw, stored.receivedAt, deps.profile, {
      ownAddresses: deps.ownAddresses,
      receivedAtDoubt: stored.receivedAtSource && receivedAtDoubt(stored.receivedAtSource),
      timings,
      parsed: freeBigMessage,
      store,
    });
  };
}

/** What the dashboard asks of a stored message (src/web/evaluate.ts): see `rereadMessage`. */
export interface Reread {
  /** The report's text, or null when the message has none. */
  report: { chars: number; text: string } | null;
  /** The first file that could not be written (a full disk), as an error's fields. */
  writeError?: ErrorFields;
}

export interface ErrorFields {
  name: string;
  message: string;
  code?: unknown;
}

/** An error's fields, which cross a thread boundary (an Error's own class does not). */
export function errorFields(err: unknown): ErrorFields {
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  return { name: String(e?.name ?? 'Error'), message: String(e?.message ?? err), code: e?.code };
}

/**
 * Reads a stored message again for the dashboard: writes every file of it (archive entries too)
 * to the blob store, since the pipeline keeps only the raw message, and returns the report's
 * text (the store keeps its 字数, not the text). A file that cannot be written does not cost the
 * page its report: the reading goes on, and the first such error is returned beside it. Rejects
 * (BlobNotFound) when the message itself is gone.
 */
export async function rereadMessage(
  evaluate: ReturnType<typeof createEvaluator>,
  blobs: BlobStore,
  stored: StoredMessage,
): Promise<Reread> {
  let failed: unknown;
  const { submission } = await evaluate(stored, {}, (file) =>
    blobs.putHashed(file.sha256, file.content).catch((err: unknown) => {
      failed ??= err;
    }),
  );
  freeFiles(submission);
  const { report } = submission;
  return {
    report: report ? { chars: report.count.total, text: report.text } : null,
    ...(failed === undefined ? {} : { writeError: errorFields(failed) }),
  };
}

/**
 * A message's files are in its raw message, and copying megabytes back to the caller's thread
 * would cost the time a thread saves: nothing reads them after an evaluation, so they are freed
 * at once, not at the thread's next full collection (buffers.ts).
 */
function freeFiles(submission: Submission): void {
  for (const doc of submission.documents) release(doc.entry.content);
  for (const a of submission.mail.attachments) release(a.content);
}

/**
 * A big message's raw bytes and decoded pieces (~110 MB for a 30 MB attachment) are garbage once
 * parsed, but V8 frees them only at its next full collection, and a thread busy reading that
 * message's documents may not run one for seconds: they would sit beside the documents' own
 * copies. One collection right after parsing a message above BIG_MESSAGE_BYTES costs a few
 * tens of ms, rarely (in-process, the 30 MB case's peak −40 MB). Small messages leave V8 to
 * itself: a collection after each would cost half again the core's CPU (measured).
 */
const BIG_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A full collection here and in this thread's documents worker (`Collect`). */
async function collectHeaps(): Promise<Collected> {
  const documents = collectDocumentsWorker();
  return { collected: { ...collectGarbage(), documents: await documents } };
}

function freeBigMessage(rawBytes: number): void {
  if (rawBytes >= BIG_MESSAGE_BYTES) collectGarbage();
}

// ── thread side ──────────────────────────────────────────────────────────────────────────────

export interface ThreadData {
  blobDir: string;
  profile: ContestProfile;
  ownAddresses?: string[];
}

export interface Job extends StoredMessage {
  id: number;
  /** The dashboard's read (`rereadMessage`), not the pipeline's evaluation. */
  reread?: boolean;
}

type ThreadMail = Omit<ParsedMail, 'attachments'> & {
  attachments: Omit<ParsedMail['attachments'][number], 'content'>[];
};

export type Reply =
  | {
      id: number;
      ok: true;
      result: CheckResult;
      mail: ThreadMail;
      timings: EvalTimings;
      threadId: number;
      loop: ThreadLoop;
    }
  | { id: number; ok: true; reread: Reread }
  | { id: number; ok: false; error: ErrorFields };

/** A thread's first message: its kernel id, for the pool's priorities (thread-priority.ts). */
export interface ThreadHello {
  tid: number;
}

/** The pool's request when it has been idle a while: collect this thread's heap and its worker's. */
export interface Collect {
  collect: true;
}

/**
 * The answer to `Collect`: this thread's V8 heap in use before and after, in MB, and its
 * documents worker's (null when the thread has not started one).
 */
export interface Collected {
  collected: HeapCollected & { documents: HeapCollected | null };
}

/**
 * Serves the pool's jobs inside a thread, as many at once as the pool sends (its jobsPerThread).
 * `beforeJob` exists for tests that make a job crash its thread.
 */
export function serveEvaluations(beforeJob?: (job: StoredMessage) => void | Promise<void>): void {
  const port = parentPort;
  if (!port) throw new Error('serveEvaluations runs only in a worker thread');
  const data = workerData as ThreadData;
  const blobs = createBlobStore(data.blobDir);
  const evaluate = createEvaluator({
    blobs,
    profile: data.profile,
    ownAddresses: data.ownAddresses,
  });
  const tid = osThreadId();
  if (tid !== undefined) port.postMessage({ tid } satisfies ThreadHello);
  port.on('message', async (job: Job | Collect) => {
    if ('collect' in job) {
      port.postMessage((await collectHeaps()) satisfies Collected);
      return;
    }
    let reply: Reply;
    try {
      await beforeJob?.(job);
      if (job.reread) {
        reply = { id: job.id, ok: true, reread: await rereadMessage(evaluate, blobs, job) };
      } else {
        const timings: EvalTimings = {};
        const { result, submission } = await evaluate(job, timings);
        freeFiles(submission);
        const mail: ThreadMail = {
          ...submission.mail,
          attachments: submission.mail.attachments.map(({ content: _c, ...rest }) => rest),
        };
        const { active, idle } = performance.eventLoopUtilization();
        reply = { id: job.id, ok: true, result, mail, timings, threadId, loop: { active, idle } };
      }
    } catch (err) {
      reply = { id: job.id, ok: false, error: errorFields(err) };
    }
    port.postMessage(reply);
  });
}
