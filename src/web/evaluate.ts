// Running the validation core again on a stored message: for `reprocess` (a fresh verdict), for
// the report excerpt on a case page (the store keeps the 字数, not the text), and for the files
// (the pipeline keeps only the raw message; they are written out when first asked for).
// The validation core is imported on first use: the dashboard's process should not carry it
// (mailparser, mammoth, sharp…) until a page needs it.
import type { ContestProfile } from '../config/contest.js';
import { evaluateHere } from '../evaluate-pool.js';
import type { EvaluatorDeps, StoredMessage } from '../evaluator.js';
import type { BlobStore } from '../store/blobs.js';
import type { Evaluate } from '../store/reprocess.js';

/** `reprocess`'s evaluation: the pipeline's own, returning the rows the store re-files. */
export function createReprocessEvaluator(deps: EvaluatorDeps): Evaluate {
  const evaluate = evaluateHere(deps);
  return async (stored) => {
    const { result } = await evaluate(stored);
    return { result, attachments: result.attachments };
  };
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
 * Runs the validation core again on a stored message, writing its files to the blob store as it
 * goes (the pipeline keeps only the raw message, src/evaluator.ts), and keeps the report's text in
 * a small LRU cache. A message is read once at a time: a case page and its logo, asked for
 * together, share one run.
 */
export function createMessageReader(deps: {
  blobs: BlobStore;
  profile: ContestProfile;
}): MessageReader {
  const cache = new Map<string, ReportText | null>();
  const running = new Map<string, Promise<void>>();

  const remember = (sha256: string, value: ReportText | null) => {
    cache.delete(sha256);
    cache.set(sha256, value);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  };

  async function readAgain({ sha256, receivedAt }: StoredMessage): Promise<void> {
    const { validateMessage } = await import('../validate.js');
    const raw = await deps.blobs.source(sha256);
    // A file that cannot be written (a full disk) must not cost the page its report: the reading
    // goes on, and the first such error is thrown once the report is kept.
    let failed: unknown;
    const { submission } = await validateMessage(raw, receivedAt, deps.profile, {
      store: (file) =>
        deps.blobs.putHashed(file.sha256, file.content).catch((err: unknown) => {
          failed ??= err;
        }),
    });
    const { report } = submission;
    const text = report?.text.replace(/\s+/g, ' ').trim() ?? '';
    const excerpt = text.slice(0, EXCERPT_CHARS);
    remember(sha256, report ? { chars: report.count.total, text, excerpt } : null);
    if (failed) throw failed;
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
