// Running the validation core again on a stored message: for `reprocess` (a fresh verdict) and
// for the report excerpt on a case page (the store keeps the 字数, not the text).
// The validation core is imported on first use: the dashboard's process should not carry it
// (mailparser, mammoth, sharp…) until a page needs it.
import type { ContestProfile } from '../config/contest.js';
import { evaluateHere } from '../evaluate-pool.js';
import type { EvaluatorDeps } from '../evaluator.js';
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

const EXCERPT_CHARS = 400;
const CACHE_SIZE = 64;

/** Report text of a stored message, recomputed on demand and kept in a small LRU cache. */
export function createReportReader(deps: { blobs: BlobStore; profile: ContestProfile }) {
  const cache = new Map<string, ReportText | null>();
  return async (sha256: string, receivedAt: Date): Promise<ReportText | null> => {
    const hit = cache.get(sha256);
    if (hit !== undefined) {
      cache.delete(sha256);
      cache.set(sha256, hit);
      return hit;
    }
    let value: ReportText | null = null;
    try {
      const { validateMessage } = await import('../validate.js');
      const raw = await deps.blobs.source(sha256);
      const { submission } = await validateMessage(raw, receivedAt, deps.profile);
      const r = submission.report;
      if (r) {
        const text = r.text.replace(/\s+/g, ' ').trim();
        value = { chars: r.count.total, text, excerpt: text.slice(0, EXCERPT_CHARS) };
      }
    } catch {
      // The page still shows the stored 字数; a missing blob or unreadable file is no error here.
      value = null;
    }
    cache.set(sha256, value);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    return value;
  };
}
