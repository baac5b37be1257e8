// Helpers shared by the rules: a finding is built the same way everywhere, and numbers are
// written the way applicants read them (`2,150 字`, `312 KB`).
import type { Finding, Severity } from '../types.js';

export type RuleOutcome = Omit<Finding, 'rule'>;

export function pass(message: string, details: Record<string, unknown> = {}): RuleOutcome {
  return { severity: 'info', passed: true, message, details };
}

export function fail(
  severity: Severity,
  message: string,
  details: Record<string, unknown> = {},
): RuleOutcome {
  return { severity, passed: false, message, details };
}

/** A rule whose input another rule already reports missing passes, saying why. */
export function notApplicable(what: string): RuleOutcome {
  return pass(`未找到${what}，本项不适用`, { applicable: false });
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** `「案例报告.docx」` or `「资料.zip / 报告.docx」` for a file inside an archive. */
export function quoteFile(entry: { filename: string; insideArchive: string | null }): string {
  return entry.insideArchive
    ? `「${entry.insideArchive} / ${entry.filename}」`
    : `「${entry.filename}」`;
}
