// Running the validation core again on a stored message: for `reprocess` (a fresh verdict), for
// the report excerpt on a case page (the store keeps the 字数, not the text), and for the files
// (the pipeline keeps only the raw message; they are written out when first asked for). The
// dashboard's runs go to the evaluation pool's threads (src/evaluate-pool.ts), not to its own
// thread: in `intake start` that is the service's main thread, which would otherwise load the
// validation core and start a documents worker of its own, and stall IMAP and the queues while
// it reads. `intake reprocess` runs the core in its own thread (`createReprocessEvaluator`).
import { evaluateHere } from '../evaluate-pool.js';
import type { EvaluatorDeps, Reread, StoredMessage } from '../evaluator.js';
import type { Evaluate } from '../store/reprocess.js';
import type { CheckResult } from '../types.js';

/** `reprocess`'s evaluation: the pipeline's own, returning the rows the store re-files. */
export function reprocessWith(
  evaluate: (stored: StoredMessage) => Promise<{ result: CheckResult }>,
): Evaluate {
  return async (stored) => {
    const { result } = await evaluate(stored);
    return { result, attachments: result.attachments };
  };
}

/** `reprocess`'s evaluation in the calling thread (the CLI's). */
export function createReprocessEvaluator(deps: EvaluatorDeps): Evaluate {
  return reprocessWith(evaluateHere(deps));
}

export interface ReportText {
  chars: number;
  excerpt: string;
  text: string;
}

export interface MessageReader {
  /** The report's text for a case page; null when there is none or the message cannot be read. */
  report(message: StoredMessage): Promise<ReportText | null>;
  /**
   * Writes every file of the message (archive entries too) to the blob store: a download asked
   * for one that is not there. Rejects with BlobNotFound when the message itself is gone.
   */
  keepFiles(message: StoredMessage): Promise<void>;
}

const EXCERPT_CHARS = 400;
const CACHE_SIZE = 64;

/**
 * The dashboard's reads of stored messages (`reread`: files written out, the report's text), with
 * the report's text kept in a small LRU cache. A message is read once at a time: a case page and
 * its logo, asked for together, share one read.
 */
export function createMessageReader(reread: (m: StoredMessage) => Promise<Reread>): MessageReader {
  const cache = new Map<string, ReportText | null>();
  const running = new Map<string, Promise<void>>();

  const remember = (sha256: string, value: ReportText | null) => {
    cache.delete(sha256);
    cache.set(sha256, value);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  };

  async function readAgain(message: StoredMessage): Promise<void> {
    const { report, writeError } = await reread(message);
    const text = report?.text.replace(/\s+/g, ' ').trim() ?? '';
    const excerpt = text.slice(0, EXCERPT_CHARS);
    remember(message.sha256, report ? { chars: report.chars, text, excerpt } : null);
    // The page keeps its report; a download of a file that could not be written fails.
    if (writeError) throw Object.assign(new Error(writeError.message), writeError);
  }

  function read(message: StoredMessage): Promise<void> {
    let run = running.get(message.sha256);
    if (!run) {
      run = readAgain(message).finally(() => running.delete(message.sha256));
      running.set(message.sha256, run);
    }
    return run;
  }

  return {
    async report(message) {
      const hit = cache.get(message.sha256);
      if (hit !== undefined) {
        remember(message.sha256, hit);
        return hit;
      }
      // The page still shows the stored 字数; a missing blob or an unreadable file is no error.
      await read(message).catch(() => {
        if (!cache.has(message.sha256)) remember(message.sha256, null);
      });
      return cache.get(message.sha256) ?? null;
    },
    keepFiles: read,
  };
}
