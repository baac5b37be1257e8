// The verdict policy of DESIGN.md §2: never auto-reject on a guess. Only failed `error` rules
// (certain outcomes) reject; failed `review` rules send the case to a person; warnings and
// info findings never change the verdict. Questions and auto-replies are not submissions.
import type { Finding, MessageKind, Verdict } from '../types.js';

export function decideVerdict(kind: MessageKind, findings: Finding[]): Verdict {
  if (kind !== 'submission') return 'not_submission';
  const failed = findings.filter((f) => !f.passed);
  if (failed.some((f) => f.severity === 'error')) return 'rejected';
  if (failed.some((f) => f.severity === 'review')) return 'needs_review';
  return 'accepted';
}
