// Every rule of DESIGN.md §2 that looks at one message. RESUBMISSION and DUPLICATE compare with
// earlier messages, so the pipeline's store adds them, not this list. A rule that throws is a
// failed review finding and the others still run (Haraka's plugin runner does the same).
import type { ContestProfile } from '../config/contest.js';
import type { Finding, Rule, Submission } from '../types.js';
import { attachmentSuspicious } from './attachment-suspicious.js';
import { attachmentUnreadable } from './attachment-unreadable.js';
import { formFieldsIncomplete } from './form-fields-incomplete.js';
import { formMissing } from './form-missing.js';
import { implementationDate } from './implementation-date.js';
import { late } from './late.js';
import { logoDimensions } from './logo-dimensions.js';
import { logoFormat } from './logo-format.js';
import { logoMissing } from './logo-missing.js';
import { logoSize } from './logo-size.js';
import { reportLength } from './report-length.js';
import { reportNotFound } from './report-not-found.js';
import { reportSections } from './report-sections.js';
import { scanMissing } from './scan-missing.js';
import { sealNotDetected } from './seal-not-detected.js';
import { senderAuthentication } from './sender-authentication.js';
import { subjectFormMismatch } from './subject-form-mismatch.js';
import { subjectFormat } from './subject-format.js';

export const RULES: readonly Rule[] = [
  subjectFormat,
  late,
  formMissing,
  logoMissing,
  logoFormat,
  logoSize,
  logoDimensions,
  scanMissing,
  reportLength,
  reportNotFound,
  formFieldsIncomplete,
  subjectFormMismatch,
  implementationDate,
  attachmentUnreadable,
  attachmentSuspicious,
  reportSections,
  sealNotDetected,
  senderAuthentication,
];

/** One finding per rule, in list order; a passed finding carries the rule's own severity. */
export function runRules(
  submission: Submission,
  profile: ContestProfile,
  rules: readonly Rule[] = RULES,
): Finding[] {
  return rules.map((rule) => {
    try {
      const outcome = rule.check(submission, profile);
      return {
        rule: rule.code,
        severity: outcome.passed ? rule.severity : outcome.severity,
        passed: outcome.passed,
        message: outcome.message,
        details: outcome.details,
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        rule: rule.code,
        severity: 'review',
        passed: false,
        message: `规则检查出错：${message}`,
        details: { error: message },
      };
    }
  });
}
