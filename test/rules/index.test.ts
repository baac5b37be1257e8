import { describe, expect, it } from 'vitest';
import { RULES, runRules } from '../../src/rules/index.js';
import { decideVerdict } from '../../src/rules/verdict.js';
import type { Finding, Rule } from '../../src/types.js';
import { goodFields, profile, submission } from './support.js';

const finding = (severity: Finding['severity'], passed: boolean): Finding => ({
  rule: 'LATE',
  severity,
  passed,
  message: '',
  details: {},
});

describe('runRules', () => {
  it('evaluates every rule of the list once (the 17 of DESIGN.md §2 and SENDER_UNVERIFIED), passed or not, and none of the pipeline-only ones', () => {
    const findings = runRules(submission({ fields: goodFields }), profile);
    expect(findings.map((f) => f.rule)).toEqual(RULES.map((r) => r.code));
    expect(new Set(findings.map((f) => f.rule)).size).toBe(18);
    expect(findings.map((f) => f.rule)).not.toContain('RESUBMISSION');
    expect(findings.filter((f) => !f.passed).map((f) => f.rule)).toEqual([
      'LOGO_MISSING',
      'SCAN_MISSING',
      'REPORT_NOT_FOUND',
    ]);
  });

  it('records a rule that throws as a failed review finding and still runs the others', () => {
    const broken: Rule = {
      code: 'REPORT_SECTIONS',
      severity: 'warning',
      check() {
        throw new Error('boom');
      },
    };
    const findings = runRules(submission({}), profile, [broken, ...RULES.slice(0, 2)]);
    expect(findings[0]).toEqual({
      rule: 'REPORT_SECTIONS',
      severity: 'review',
      passed: false,
      message: '规则检查出错：boom',
      details: { error: 'boom' },
    });
    expect(findings).toHaveLength(3);
  });
});

describe('decideVerdict', () => {
  it('rejects on a failed error, reviews on a failed review, else accepts', () => {
    expect(decideVerdict('submission', [finding('error', false), finding('review', false)])).toBe(
      'rejected',
    );
    expect(decideVerdict('submission', [finding('error', true), finding('review', false)])).toBe(
      'needs_review',
    );
    expect(
      decideVerdict('submission', [
        finding('warning', false),
        finding('info', false),
        finding('error', true),
      ]),
    ).toBe('accepted');
    expect(decideVerdict('submission', [])).toBe('accepted');
  });

  it('never rejects a question or an auto-reply', () => {
    expect(decideVerdict('inquiry', [finding('error', false)])).toBe('not_submission');
    expect(decideVerdict('auto_reply', [finding('error', false)])).toBe('not_submission');
  });
});
